package b2b.graph_test

import data.b2b.fixtures_test as fx
import data.b2b.graph

# settings: BigCommerce defaults (5 levels, 500 companies), commercetools buyer-created units inactive.
test_success_settings_defaults if {
	graph.settings == {"maxDepth": 5, "maxOrgs": 500, "buyerOrgStatus": "inactive", "buyerOrgRole": "org_admin"} with input as fx.mk("DE", [])
}

test_success_settings_override if {
	graph.settings == {"maxDepth": 3, "maxOrgs": 500, "buyerOrgStatus": "active", "buyerOrgRole": "org_admin"} with input as object.union(fx.mk("DE", []), {"settings": {"maxDepth": 3, "buyerOrgStatus": "active"}})
}

test_fail_graph_not_an_object if {
	graph.orgs == {} with input as {"graph": "nope"}
	not graph.acting with input as {"org": "DE", "graph": "nope"}
}

test_success_subject_kind_default_user if {
	graph.subject_kind == "user" with input as fx.mk("DE", [])
	graph.user == {"id": "carol", "status": "active"} with input as fx.mk("DE", [])
	not graph.is_staff with input as fx.mk("DE", [])
}

test_fail_user_id_mismatch if {
	not graph.user with input as object.union(fx.mk("DE", []), {"subject": {"id": "mallory"}})
}

test_success_staff_known if {
	graph.staff == {"id": "ops-1", "roles": ["store_admin"]} with input as fx.staff("DE", ["store_admin"])
	graph.is_staff with input as fx.staff("DE", ["store_admin"])
}

test_fail_staff_claiming_user_record if {
	not graph.staff with input as object.union(fx.mk("DE", []), {"subject": {"id": "carol", "kind": "staff"}})
	not graph.user with input as object.union(fx.mk("DE", []), {"subject": {"id": "carol", "kind": "staff"}})
}

test_success_acting_path if {
	graph.acting_path == ["ACME", "EU", "DE"] with input as fx.mk("DE", [])
	graph.acting_depth == 2 with input as fx.mk("DE", [])
	graph.root == "ACME" with input as fx.mk("DE", [])
	graph.path_index == {"ACME": 0, "EU": 1, "DE": 2} with input as fx.mk("DE", [])
}

test_fail_unknown_acting_org if {
	not graph.acting with input as fx.mk("NOPE", [])
	not graph.acting_path with input as fx.mk("NOPE", [])
}

test_success_over_limit_default_approval if {
	graph.over_limit == "approval" with input as object.union(fx.mk("DE", []), {"graph": {"tree": {"overLimit": null}}})
	graph.over_limit == "deny" with input as object.union(fx.mk("DE", []), {"graph": {"tree": {"overLimit": "deny"}}})
}

test_fail_over_limit_unknown_value_is_approval if {
	graph.over_limit == "approval" with input as object.union(fx.mk("DE", []), {"graph": {"tree": {"overLimit": "explode"}}})
}

test_success_status_default_active if {
	graph.status_of("DE") == "active" with input as object.union(fx.mk("DE", []), {"graph": {"orgs": {"DE": {"status": null}}}})
	graph.status_of("DE") == "suspended" with input as object.union(fx.mk("DE", []), {"graph": {"orgs": {"DE": {"status": "suspended"}}}})
}

# MODEL rule 2 path test: every org below the ancestor down to the acting org inherits.
test_success_reaches_acting_all_inherit if {
	graph.reaches_acting(0) with input as fx.mk("BER", [])
	graph.reaches_acting(1) with input as fx.mk("BER", [])
	graph.reaches_acting(2) with input as fx.mk("BER", [])
	not graph.reaches_acting(3) with input as fx.mk("BER", [])
}

# commercetools Explicit: an org that opts out cuts the chain for its whole subtree; its own memberships still flow down.
test_fail_commercetools_explicit_cuts_chain if {
	inp := object.union(fx.mk("BER", []), {"graph": {"orgs": fx.patch_org("EU", {"inheritRoles": false})}})
	not graph.reaches_acting(0) with input as inp
	graph.reaches_acting(1) with input as inp
	graph.reaches_acting(2) with input as inp
}

test_fail_acting_org_opts_out if {
	inp := object.union(fx.mk("DE", []), {"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}})
	not graph.reaches_acting(0) with input as inp
	not graph.reaches_acting(1) with input as inp
}

test_success_reached_subtree if {
	graph.reached("BER") with input as fx.mk("EU", [])
	graph.reached("FR") with input as fx.mk("EU", [])
	graph.in_subtree("EU") with input as fx.mk("EU", [])
	not graph.reached("EU") with input as fx.mk("EU", [])
}

test_fail_reached_never_up_or_sideways if {
	not graph.reached("ACME") with input as fx.mk("EU", [])
	not graph.reached("US") with input as fx.mk("EU", [])
	not graph.in_subtree("US") with input as fx.mk("EU", [])
	not graph.reached("GLOBEX") with input as fx.mk("EU", [])
}

test_fail_reached_cut_by_opt_out if {
	inp := object.union(fx.mk("EU", []), {"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}})
	not graph.reached("DE") with input as inp
	not graph.reached("BER") with input as inp
	graph.in_subtree("BER") with input as inp
	graph.reached("FR") with input as inp
}

test_success_same_tree if {
	graph.same_tree("US") with input as fx.mk("DE", [])
	not graph.same_tree("GLOBEX") with input as fx.mk("DE", [])
}

# Memberships elsewhere than the acting path grant nothing (MODEL: never up or sideways).
test_success_memberships_on_path_only_with_defaults if {
	ms := graph.memberships with input as fx.mk("DE", [
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
	graph.memberships == [] with input as object.union(fx.mk("DE", []), {"graph": {"memberships": "x"}})
	graph.memberships == [{"org": "DE", "roles": [], "index": 2, "inheritable": true, "limits": {}}] with input as fx.mk("DE", [{"org": "DE", "roles": "buyer", "limits": 3}])
}

test_success_custom_role_overrides_template if {
	inp := object.union(fx.mk("DE", []), {"graph": {"roles": {"buyer": {"key": "buyer", "permissions": []}}}})
	graph.role_def("buyer") == {"key": "buyer", "permissions": []} with input as inp
	graph.role_def("viewer").name == "Viewer" with input as inp
}

test_fail_unknown_role if {
	not graph.role_def("nope") with input as fx.mk("DE", [])
}

test_success_reached_path_and_opt_outs if {
	graph.reached_path(["ACME", "EU", "DE"]) with input as fx.mk("EU", [])
	not graph.reached_path(["ACME", "EU"]) with input as fx.mk("EU", [])
	inp := object.union(fx.mk("EU", []), {"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}})
	graph.opt_outs == {"DE"} with input as inp
	not graph.reached_path(["ACME", "EU", "DE", "BER"]) with input as inp
}

test_success_status_value_defaults_active if {
	graph.status_value("pending") == "pending"
	graph.status_value(null) == "active"
}
