package b2b.slice_test

import data.b2b.fixtures_test as fx
import data.b2b.slice

# settings: BigCommerce defaults (5 levels, 500 companies), commercetools buyer-created units inactive.
test_success_settings_defaults if {
	slice.settings == {
		"maxDepth": 5,
		"maxOrgs": 500,
		"buyerOrgStatus": "inactive",
		"buyerOrgRole": "org_admin",
	} with input as fx.mk("DE", [])
}

test_success_settings_override if {
	slice.settings == {
		"maxDepth": 3,
		"maxOrgs": 500,
		"buyerOrgStatus": "active",
		"buyerOrgRole": "org_admin",
	} with input as object.union(fx.mk("DE", []), {"settings": {"maxDepth": 3, "buyerOrgStatus": "active"}})
}

test_fail_graph_not_an_object if {
	slice.orgs == {} with input as {"graph": "nope"}
	not slice.acting with input as {"org": "DE", "graph": "nope"}
}

test_success_subject_kind_default_user if {
	slice.subject_kind == "user" with input as fx.mk("DE", [])
	slice.user == {"id": "carol", "status": "active"} with input as fx.mk("DE", [])
	not slice.is_staff with input as fx.mk("DE", [])
}

test_fail_user_id_mismatch if {
	not slice.user with input as object.union(fx.mk("DE", []), {"subject": {"id": "mallory"}})
}

test_success_staff_known if {
	slice.staff == {"id": "ops-1", "roles": ["store_admin"]} with input as fx.staff("DE", ["store_admin"])
	slice.is_staff with input as fx.staff("DE", ["store_admin"])
}

test_fail_staff_claiming_user_record if {
	not slice.staff with input as object.union(fx.mk("DE", []), {"subject": {"id": "carol", "kind": "staff"}})
	not slice.user with input as object.union(fx.mk("DE", []), {"subject": {"id": "carol", "kind": "staff"}})
}

test_success_acting_path if {
	slice.acting_path == ["ACME", "EU", "DE"] with input as fx.mk("DE", [])
	slice.acting_depth == 2 with input as fx.mk("DE", [])
	slice.root == "ACME" with input as fx.mk("DE", [])
	slice.path_index == {"ACME": 0, "EU": 1, "DE": 2} with input as fx.mk("DE", [])
}

test_fail_unknown_acting_org if {
	not slice.acting with input as fx.mk("NOPE", [])
	not slice.acting_path with input as fx.mk("NOPE", [])
}

test_success_over_limit_default_approval if {
	slice.over_limit == "approval" with input as object.union(fx.mk("DE", []), {"graph": {"tree": {"overLimit": null}}})
	slice.over_limit == "deny" with input as object.union(fx.mk("DE", []), {"graph": {"tree": {"overLimit": "deny"}}})
}

test_fail_over_limit_unknown_value_is_approval if {
	slice.over_limit == "approval" with input as object.union(
		fx.mk("DE", []),
		{"graph": {"tree": {"overLimit": "explode"}}},
	)
}

test_success_status_default_active if {
	slice.status_of("DE") == "active" with input as object.union(
		fx.mk("DE", []),
		{"graph": {"orgs": {"DE": {"status": null}}}},
	)
	slice.status_of("DE") == "suspended" with input as object.union(
		fx.mk("DE", []),
		{"graph": {"orgs": {"DE": {"status": "suspended"}}}},
	)
}

# MODEL rule 2 path test: every org below the ancestor down to the acting org inherits.
test_success_reaches_acting_all_inherit if {
	slice.reaches_acting(0) with input as fx.mk("BER", [])
	slice.reaches_acting(1) with input as fx.mk("BER", [])
	slice.reaches_acting(2) with input as fx.mk("BER", [])
	not slice.reaches_acting(3) with input as fx.mk("BER", [])
}

# commercetools Explicit: an org that opts out cuts the chain for its whole subtree; its own memberships still flow
# down.
test_fail_commercetools_explicit_cuts_chain if {
	inp := object.union(fx.mk("BER", []), {"graph": {"orgs": fx.patch_org("EU", {"inheritRoles": false})}})
	not slice.reaches_acting(0) with input as inp
	slice.reaches_acting(1) with input as inp
	slice.reaches_acting(2) with input as inp
}

test_fail_acting_org_opts_out if {
	inp := object.union(fx.mk("DE", []), {"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}})
	not slice.reaches_acting(0) with input as inp
	not slice.reaches_acting(1) with input as inp
}

test_success_reached_subtree if {
	slice.reached("BER") with input as fx.mk("EU", [])
	slice.reached("FR") with input as fx.mk("EU", [])
	slice.in_subtree("EU") with input as fx.mk("EU", [])
	not slice.reached("EU") with input as fx.mk("EU", [])
}

test_fail_reached_never_up_or_sideways if {
	not slice.reached("ACME") with input as fx.mk("EU", [])
	not slice.reached("US") with input as fx.mk("EU", [])
	not slice.in_subtree("US") with input as fx.mk("EU", [])
	not slice.reached("GLOBEX") with input as fx.mk("EU", [])
}

test_fail_reached_cut_by_opt_out if {
	inp := object.union(fx.mk("EU", []), {"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}})
	not slice.reached("DE") with input as inp
	not slice.reached("BER") with input as inp
	slice.in_subtree("BER") with input as inp
	slice.reached("FR") with input as inp
}

test_success_same_tree if {
	slice.same_tree("US") with input as fx.mk("DE", [])
	not slice.same_tree("GLOBEX") with input as fx.mk("DE", [])
}

# Memberships elsewhere than the acting path grant nothing (MODEL: never up or sideways).
test_success_memberships_on_path_only_with_defaults if {
	ms := slice.memberships with input as fx.mk("DE", [
		{"org": "ACME", "roles": ["viewer"]},
		{"org": "FR", "roles": ["buyer"]},
		{"org": "BER", "roles": ["buyer"]},
		{"org": "DE", "roles": ["buyer"], "inheritable": false, "limits": {"maxOrderTotal": 5}},
		"junk",
	])
	ms == [
		{"org": "ACME", "roles": ["viewer"], "index": 0, "inheritable": true, "limits": {}},
		{"org": "DE", "roles": ["buyer"], "index": 2, "inheritable": false, "limits": {"maxOrderTotal": 5}},
	]
}

test_fail_memberships_not_a_list if {
	slice.memberships == [] with input as object.union(fx.mk("DE", []), {"graph": {"memberships": "x"}})
	slice.memberships == [{
		"org": "DE",
		"roles": [],
		"index": 2,
		"inheritable": true,
		"limits": {},
	}] with input as fx.mk(
		"DE",
		[{"org": "DE", "roles": "buyer", "limits": 3}],
	)
}

test_success_custom_role_overrides_template if {
	inp := object.union(fx.mk("DE", []), {"graph": {"roles": {"buyer": {"key": "buyer", "permissions": []}}}})
	slice.role_def("buyer") == {"key": "buyer", "permissions": []} with input as inp
	slice.role_def("viewer").name == "Viewer" with input as inp
}

test_fail_unknown_role if {
	not slice.role_def("nope") with input as fx.mk("DE", [])
}

test_success_reached_path_and_opt_outs if {
	slice.reached_path(["ACME", "EU", "DE"]) with input as fx.mk("EU", [])
	not slice.reached_path(["ACME", "EU"]) with input as fx.mk("EU", [])
	inp := object.union(fx.mk("EU", []), {"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}})
	slice.opt_outs == {"DE"} with input as inp
	not slice.reached_path(["ACME", "EU", "DE", "BER"]) with input as inp
}

test_success_status_value_defaults_active if {
	slice.status_value("pending") == "pending"
	slice.status_value(null) == "active"
}
