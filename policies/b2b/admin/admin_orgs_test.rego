package b2b.admin_test

import data.b2b.admin
import data.b2b.fixtures_test as fx

# commercetools: units created by buyers are inactive by default and the creator gets the default associate role.
test_success_commercetools_buyer_created_unit_inactive_with_default_role if {
	admin.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_inherited("org_admin", "ACME", "org.create_child")],
		"effects": {"status": "inactive", "creatorRoles": ["org_admin"]},
	} with input as _op(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"org.create",
		{"id": "MUC", "parent": "DE", "name": "Munich"},
	)
}

test_success_commercetools_store_settings_for_buyer_units if {
	inp := object.union(
		_op("DE", [fx.m("ACME", ["org_admin"], true)], "org.create", {"id": "MUC", "parent": "DE"}),
		{"settings": {"buyerOrgStatus": "active", "buyerOrgRole": "ct_admin"}},
	)
	admin.decision.effects == {"status": "active", "creatorRoles": ["ct_admin"]} with input as inp
}

# BigCommerce: up to 5 layers of hierarchy and 500 companies.
test_fail_bigcommerce_sixth_layer if {
	orgs := object.union(fx.orgs, {"KREUZ": {"parent": "BER", "path": ["ACME", "EU", "DE", "BER", "KREUZ"]}})
	inp := object.union(
		_op("KREUZ", [fx.m("ACME", ["org_admin"], true)], "org.create", {"id": "X", "parent": "KREUZ"}),
		{"graph": {"orgs": orgs}},
	)
	admin.decision.reasons == [{
		"code": "depth_limit",
		"depth": 6,
		"max": 5,
		"message": "a tree has at most 5 levels",
	}] with input as inp
}

test_fail_bigcommerce_company_501 if {
	inp := object.union(
		_op("DE", [fx.m("ACME", ["org_admin"], true)], "org.create", {"id": "X", "parent": "DE"}),
		{"graph": {"tree": {"size": 500}}},
	)
	admin.decision.reasons == [{
		"code": "size_limit",
		"size": 501,
		"max": 500,
		"message": "a tree has at most 500 orgs",
	}] with input as inp
}

test_fail_bigcommerce_junior_buyer_cannot_create_company if {
	_codes(admin.decision) == ["missing_permission"] with input as _op(
		"DE",
		[fx.m("DE", ["bc_junior_buyer"], true)],
		"org.create",
		{"id": "X", "parent": "DE"},
	)
}

# Re-parenting: staff only, no cycles, within the limits.
test_success_staff_reparent if {
	inp := object.union(
		_staff_op("DE", ["store_admin"], "org.reparent", {"parent": "US"}),
		{"graph": {"subtree": {"height": 2, "size": 2}}},
	)
	admin.decision.decision == "allow" with input as inp
}

test_fail_reparent_cycle if {
	inp := object.union(
		_staff_op("EU", ["store_admin"], "org.reparent", {"parent": "BER"}),
		{"graph": {"subtree": {"height": 3, "size": 4}}},
	)
	admin.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "cycle",
			"org": "EU",
			"parent": "BER",
			"message": "org BER is EU or one of its descendants",
		}],
		"effects": {},
		"error": "conflict",
	} with input as inp
}

test_fail_reparent_too_deep if {
	inp := object.union(
		_staff_op("US", ["store_admin"], "org.reparent", {"parent": "BER"}),
		{"graph": {"subtree": {"height": 2, "size": 2}}},
	)
	_codes(admin.decision) == ["depth_limit"] with input as inp
}

test_fail_reparent_into_full_tree if {
	inp := object.union(
		_staff_op("US", ["store_admin"], "org.reparent", {"parent": "GLOBEX"}),
		{"graph": {"subtree": {"height": 1, "size": 3}, "targetTree": {"root": "GLOBEX", "size": 499}}},
	)
	admin.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "size_limit",
			"size": 502,
			"max": 500,
			"message": "a tree has at most 500 orgs",
		}],
		"effects": {},
		"error": "unprocessable",
	} with input as inp
}

test_fail_reparent_unknown_parent_and_top_level_depth if {
	_codes(admin.decision) == ["unknown_org"] with input as _staff_op(
		"US",
		["store_admin"],
		"org.reparent",
		{"parent": "NOPE"},
	)
	_codes(admin.decision) == ["depth_limit"] with input as object.union(
		_staff_op("US", ["store_admin"], "org.reparent", {"parent": null}),
		{"graph": {"subtree": {"height": 6}}},
	)
	admin.decision.decision == "allow" with input as _staff_op("US", ["store_admin"], "org.reparent", {"parent": null})
}

test_fail_buyer_cannot_reparent if {
	admin.decision.reasons == [{
		"code": "staff_only",
		"operation": "org.reparent",
		"message": "org.reparent is reserved to staff",
	}] with input as _op(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"org.reparent",
		{"parent": "US"},
	)
}

# org.update: buyers edit name and attributes; status and inheritance are the seller's.
test_success_org_admin_renames_org if {
	admin.decision.decision == "allow" with input as _op(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"org.update",
		{"name": "Acme DE"},
	)
}

test_fail_buyer_activates_own_org if {
	inp := object.union(
		_op("DE", [fx.m("ACME", ["org_admin"], true)], "org.update", {"status": "active"}),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "suspended"})}},
	)
	admin.decision.reasons == [{
		"code": "staff_only",
		"operation": "org.update",
		"field": "status",
		"message": "changing status is reserved to staff",
	}] with input as inp
}

# ---- README admin org.create: the org of the request is the parent, where grants and limits are evaluated.

test_fail_org_create_parent_differs_from_org if {
	admin.decision.reasons == [{
		"code": "parent_mismatch", "org": "DE", "parent": "FR",
		"message": "org.create lands in its parent: change.parent must be the org of the request",
	}] with input as _op("DE", [fx.m("ACME", ["org_admin"], true)], "org.create", {"id": "X", "parent": "FR"})
	_codes(admin.decision) == ["parent_mismatch"] with input as _op(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"org.create",
		{"id": "X"},
	)
}

test_fail_staff_org_create_parent_without_org if {
	admin.decision.reasons == [{
		"code": "parent_mismatch", "org": null, "parent": "DE",
		"message": "org.create lands in its parent: change.parent must be the org of the request",
	}] with input as _staff_op(null, ["store_admin"], "org.create", {"id": "X", "parent": "DE"})
}

test_success_staff_org_create_under_parent if {
	admin.decision.effects == {"status": "active", "creatorRoles": []} with input as _staff_op(
		"DE",
		["store_admin"],
		"org.create",
		{"id": "X", "parent": "DE"},
	)
}

# Several fields reserved to staff in one patch: the first one is named.
test_fail_buyer_changes_status_and_inheritance if {
	inp := _op(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"org.update",
		{"status": "active", "inheritRoles": false, "parent": "US"},
	)
	admin.decision.reasons == [{
		"code": "staff_only",
		"operation": "org.update",
		"field": "inheritRoles",
		"message": "changing inheritRoles is reserved to staff",
	}] with input as inp
}

# A stored budget without a known period counts as the actor's longest (fail closed).
test_fail_actor_budget_without_period_counts_as_longest if {
	actor := {"org": "DE", "roles": ["bc_admin"], "inheritable": false, "limits": {"periodBudget": {"amount": 1000}}}
	inp := object.union(
		_put("DE", [actor], "dave", ["bc_senior_buyer"], null),
		{"change": {"inheritable": false, "limits": {"periodBudget": {"amount": 500, "period": "year"}}}},
	)
	admin.decision.reasons[0].held == [{"amount": 1000}] with input as inp
}

_direct(role, org, code, level) := {
	"code": "direct_role", "role": role, "org": org, "permission": code, "level": level,
	"message": concat("", ["role ", role, " held at ", org]),
}

# MODEL "Administration": inheritRoles is staff-only on creation as on update; staff get the status they ask for.
test_fail_buyer_creates_org_with_inheritance_setting if {
	admin.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "staff_only",
			"operation": "org.create",
			"field": "inheritRoles",
			"message": "changing inheritRoles is reserved to staff",
		}],
		"effects": {},
		"error": "forbidden",
	} with input as _op(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"org.create",
		{"id": "X", "parent": "DE", "inheritRoles": true},
	)
}

test_success_staff_creates_org_with_its_status if {
	admin.decision.effects == {"status": "pending", "creatorRoles": []} with input as object.union(
		_staff_op(
			null,
			["store_admin"],
			"org.create",
			{"id": "NEWCO", "parent": null, "status": "pending", "inheritRoles": false},
		),
		{"graph": {"tree": null}},
	)
}

_tree_orgs := object.union(
	fx.patch_org("FR", {"inheritRoles": false}),
	{"PAR": {"parent": "FR", "status": "active", "inheritRoles": true, "path": ["ACME", "EU", "FR", "PAR"]}},
)

_tree(ms) := object.union(_op("EU", ms, "org.tree", {}), {"graph": {"orgs": _tree_orgs}})

# MODEL "Administration": a tree shows only the orgs the reader may view.
test_success_tree_shows_only_visible_orgs if {
	admin.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_direct("bc_admin", "EU", "org.view_subsidiaries", 3)],
		"effects": {"visibleOrgs": ["BER", "DE", "EU"]},
	} with input as _tree([fx.m("EU", ["bc_admin"], false)])

	# A pending org is hidden with its subtree; an inactive one stays readable.
	pending := object.union(
		_tree([fx.m("EU", ["bc_admin"], false)]),
		{"graph": {"orgs": object.union(_tree_orgs, {"DE": object.union(_tree_orgs.DE, {"status": "pending"})})}},
	)
	admin.decision.effects == {"visibleOrgs": ["EU"]} with input as pending
	inactive := object.union(
		_tree([fx.m("EU", ["bc_admin"], false)]),
		{"graph": {"orgs": object.union(_tree_orgs, {"DE": object.union(_tree_orgs.DE, {"status": "inactive"})})}},
	)
	admin.decision.effects == {"visibleOrgs": ["BER", "DE", "EU"]} with input as inactive

	# Staff see the whole subtree.
	staff := object.union(_staff_op("EU", ["store_support"], "org.tree", {}), {"graph": {"orgs": _tree_orgs}})
	admin.decision.effects == {"visibleOrgs": ["BER", "DE", "EU", "FR", "PAR"]} with input as staff
}
