package b2b.admin_test

import data.b2b.admin
import data.b2b.fixtures_test as fx

_op(org, ms, op, change) := object.union(fx.mk(org, ms), {"operation": op, "change": change})

_put(
	org,
	ms,
	user,
	roles,
	current,
) := object.union(
	_op(
		org,
		ms,
		"membership.put",
		{"user": user, "roles": roles, "inheritable": true},
	),
	{"graph": {"target": {
		"user": {"id": user, "status": "active"},
		"membership": current,
	}}},
)

_staff_op(org, roles, op, change) := object.union(fx.staff(org, roles), {"operation": op, "change": change})

_codes(d) := [r.code | some r in d.reasons]

_inherited(role, org, code) := {
	"code": "inherited_role", "role": role, "org": org, "permission": code, "level": 3,
	"message": concat("", ["role ", role, " inherited from ", org]),
}

# ---- AI Commerce Cloud (000): the store administrator creates organizations and their first admin.

test_success_aicommerce_store_admin_creates_organization if {
	admin.decision == {
		"decision": "allow", "allow": true,
		"reasons": [{"code": "staff", "role": "store_admin", "message": "staff role store_admin"}],
		"effects": {"status": "active", "creatorRoles": []},
	} with input as object.union(
		_staff_op(null, ["store_admin"], "org.create", {"id": "NEWCO", "parent": null, "name": "NewCo"}),
		{"graph": {"tree": null}},
	)
}

test_success_aicommerce_store_admin_assigns_first_admin if {
	inp := object.union(fx.staff("NEWCO", ["store_admin"]), {
		"operation": "membership.put",
		"change": {"user": "alice", "roles": ["org_admin"], "inheritable": true},
		"graph": {
			"orgs": {"NEWCO": {"parent": null, "path": ["NEWCO"]}},
			"target": {"user": {"id": "alice", "status": "active"}, "membership": null},
		},
	})
	admin.decision.decision == "allow" with input as inp
}

test_fail_aicommerce_buyer_cannot_create_top_level_org if {
	admin.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{"code": "staff_only", "operation": "org.create", "message": "org.create is reserved to staff"}],
		"effects": {},
	} with input as _op(null, [fx.m("ACME", ["org_admin"], true)], "org.create", {"id": "X", "parent": null})
}

test_success_aicommerce_org_admin_adds_user if {
	admin.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_inherited("org_admin", "ACME", "user.manage")],
		"effects": {},
	} with input as _put("DE", [fx.m("ACME", ["org_admin"], true)], "dave", ["buyer"], null)
}

test_success_aicommerce_org_admin_removes_user if {
	inp := object.union(
		_op("DE", [fx.m("ACME", ["org_admin"], true)], "membership.delete", {"user": "dave"}),
		{"graph": {"target": {"user": {"id": "dave"}, "membership": {"org": "DE", "roles": ["buyer"]}}}},
	)
	admin.decision.decision == "allow" with input as inp
}

test_fail_aicommerce_orderer_cannot_manage_users if {
	admin.decision.reasons == [{
		"code": "missing_permission",
		"permission": "user.manage",
		"org": "DE",
		"message": "no role held in DE grants user.manage",
	}] with input as _put(
		"DE",
		[fx.m("DE", ["buyer"], true)],
		"dave",
		["buyer"],
		null,
	)
}

# ---- MODEL Administration: never in a sibling or another tree.

test_fail_admin_never_in_sibling if {
	_codes(admin.decision) == ["not_associated"] with input as _put(
		"FR",
		[fx.m("DE", ["org_admin"], true)],
		"dave",
		["buyer"],
		null,
	)
}

# MODEL: nobody raises their own roles.
test_fail_self_promotion if {
	admin.decision.reasons == [{
		"code": "self_promotion",
		"user": "carol",
		"message": "nobody changes their own membership",
	}] with input as _put(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"carol",
		["org_admin"],
		null,
	)
}

# MODEL: no privilege escalation - commercetools admin (level 2) cannot hand out the org_admin role (level 3 codes).
test_fail_commercetools_escalation if {
	admin.decision.reasons == [{
		"code": "escalation", "role": "org_admin", "permission": "address.manage", "level": 3, "held": 2, "current": false,
		"message": "role org_admin grants address.manage at level 3, above what the actor holds in DE",
	}] with input as _put("DE", [fx.m("DE", ["ct_admin"], true)], "dave", ["org_admin"], null)
}

# commercetools: an admin with "Others" permissions (level 2) assigns roles at its unit; the assignment stays at the
# unit ("children will inherit" off), since an inheritable one would cascade beyond its reach.
test_success_commercetools_admin_assigns_buyer if {
	inp := object.union(
		_put("DE", [fx.m("ACME", ["ct_admin"], true)], "dave", ["ct_buyer"], {"org": "DE", "roles": ["viewer"]}),
		{"change": {"inheritable": false}},
	)
	admin.decision.decision == "allow" with input as inp
}

test_fail_escalation_over_current_roles if {
	admin.decision.reasons == [{
		"code": "escalation", "role": "org_admin", "permission": "address.manage", "level": 3, "held": 2, "current": true,
		"message": "the target's current role org_admin grants address.manage at level 3, above what the actor holds in DE",
	}] with input as _put(
		"DE",
		[fx.m("DE", ["ct_admin"], true)],
		"dave",
		["ct_buyer"],
		{"org": "DE", "roles": ["org_admin"]},
	)
}

test_fail_delete_needs_covering_current_roles if {
	inp := object.union(
		_op("DE", [fx.m("DE", ["ct_admin"], true)], "membership.delete", {"user": "dave"}),
		{"graph": {"target": {"user": {"id": "dave"}, "membership": {"org": "DE", "roles": ["org_admin"]}}}},
	)
	_codes(admin.decision) == ["escalation"] with input as inp
}

# commercetools "Assignable by buyers" off: only sellers assign the role.
test_fail_commercetools_role_not_assignable_by_buyers if {
	inp := object.union(
		_put("DE", [fx.m("ACME", ["org_admin"], true)], "dave", ["seller_only"], null),
		{"graph": {"roles": {"seller_only": {
			"key": "seller_only",
			"permissions": [{"code": "order.view", "level": 1}],
		}}}},
	)
	admin.decision.reasons == [{
		"code": "not_assignable",
		"role": "seller_only",
		"message": "role seller_only is not assignable by buyers",
	}] with input as inp
}

test_success_staff_assigns_seller_only_role if {
	inp := object.union(
		_staff_op(
			"DE",
			["store_admin"],
			"membership.put",
			{"user": "dave", "roles": ["seller_only"]},
		),
		{"graph": {
			"roles": {"seller_only": {"key": "seller_only", "permissions": [{"code": "order.view", "level": 1}]}},
			"target": {"user": {"id": "dave"}, "membership": null},
		}},
	)
	admin.decision.decision == "allow" with input as inp
}

# commercetools "You can assign up to 5 roles"; at least one.
test_fail_commercetools_more_than_five_roles if {
	admin.decision.reasons == [{
		"code": "role_count", "count": 6, "min": 1, "max": 5,
		"message": "a membership holds 1 to 5 roles",
	}] with input as _put(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"dave",
		["buyer", "viewer", "ct_buyer", "emp_buyer", "ep_buyer", "bc_junior_buyer"],
		null,
	)
	_codes(admin.decision) == ["role_count"] with input as _put(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"dave",
		[],
		null,
	)
}

test_fail_unknown_role_and_user_and_limits if {
	_codes(admin.decision) == ["unknown_role"] with input as _put(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"dave",
		["ghost"],
		null,
	)
	_codes(admin.decision) == ["unknown_user"] with input as object.union(
		_put("DE", [fx.m("ACME", ["org_admin"], true)], "dave", ["buyer"], null),
		{"graph": {"target": {"user": null}}},
	)
	admin.decision.reasons == [{
		"code": "invalid_limits",
		"field": "limits.maxOrderTotal",
		"message": "limits.maxOrderTotal must be a number >= 0",
	}] with input as object.union(
		_put("DE", [fx.m("ACME", ["org_admin"], true)], "dave", ["buyer"], null),
		{"change": {"limits": {"maxOrderTotal": -5}}},
	)
}

# commercetools Inactive: members of an inactive unit are edited by staff only.
test_fail_commercetools_inactive_unit_user_manage_staff_only if {
	inp := object.union(
		_put("DE", [fx.m("ACME", ["org_admin"], true)], "dave", ["buyer"], null),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "inactive"})}},
	)
	admin.decision.reasons == [{
		"code": "org_inactive",
		"org": "DE",
		"status": "inactive",
		"message": "org DE is inactive: user.manage is reserved to staff",
	}] with input as inp
}

test_success_staff_edits_inactive_unit if {
	inp := object.union(
		_staff_op(
			"DE",
			["store_admin"],
			"membership.put",
			{"user": "dave", "roles": ["buyer"]},
		),
		{"graph": {
			"orgs": fx.patch_org("DE", {"status": "inactive"}),
			"target": {"user": {"id": "dave"}, "membership": null},
		}},
	)
	admin.decision.decision == "allow" with input as inp
}

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
	admin.decision.reasons == [{
		"code": "cycle",
		"org": "EU",
		"parent": "BER",
		"message": "org BER is EU or one of its descendants",
	}] with input as inp
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
	admin.decision.reasons == [{
		"code": "size_limit",
		"size": 502,
		"max": 500,
		"message": "a tree has at most 500 orgs",
	}] with input as inp
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

# Elastic Path: a plain buyer cannot manage associations.
test_fail_elastic_path_buyer_cannot_add_associations if {
	_codes(admin.decision) == ["missing_permission"] with input as _put(
		"DE",
		[fx.m("DE", ["ep_buyer"], false)],
		"dave",
		["ep_buyer"],
		null,
	)
}

# Elastic Path: associations are not inherited (the buyer admin's user.manage is level 2).
test_success_elastic_path_buyer_admin_adds_association if {
	inp := object.union(
		_put("DE", [fx.m("DE", ["ep_buyer_admin"], false)], "dave", ["ep_buyer"], null),
		{"change": {"inheritable": false}},
	)
	admin.decision.decision == "allow" with input as inp
}

test_fail_elastic_path_disabled_account if {
	inp := object.union(
		_op("DE", [fx.m("DE", ["ep_buyer_admin"], false)], "org.view", {}),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "disabled"})}},
	)
	_codes(admin.decision) == ["org_disabled"] with input as inp
}

# Views and lists.
test_success_views if {
	admin.decision.decision == "allow" with input as _op("DE", [fx.m("DE", ["ep_buyer"], false)], "org.view", {})
	admin.decision.decision == "allow" with input as _op("EU", [fx.m("EU", ["bc_admin"], false)], "org.tree", {})
	admin.decision.decision == "allow" with input as _op("DE", [fx.m("DE", ["bc_admin"], false)], "membership.list", {})
	admin.decision.decision == "allow" with input as _op("DE", [fx.m("DE", ["bc_admin"], false)], "role.list", {})
}

test_fail_views if {
	_codes(admin.decision) == ["missing_permission"] with input as _op(
		"DE",
		[fx.m("DE", ["viewer"], false)],
		"org.tree",
		{},
	)
	_codes(admin.decision) == ["staff_only"] with input as _op(null, [fx.m("DE", ["bc_admin"], false)], "role.list", {})
	_codes(admin.decision) == ["unknown_org"] with input as _op(null, [], "org.view", {})
	_codes(admin.decision) == ["unknown_org"] with input as _op("NOPE", [], "org.view", {})
}

# Emporix: a customer in several legal entities is edited only by whoever manages all of them.
test_success_emporix_admin_updates_user_in_its_subtree if {
	inp := object.union(
		_op("EU", [fx.m("EU", ["org_admin"], true)], "user.put", {"id": "dave", "email": "d@acme.test"}),
		{"graph": {"target": {"user": {"id": "dave"}, "orgs": ["EU", "BER"]}}},
	)
	admin.decision.decision == "allow" with input as inp
}

test_fail_emporix_user_in_other_legal_entity if {
	inp := object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.put", {"id": "dave"}),
		{"graph": {"target": {"user": {"id": "dave"}, "orgs": ["DE", "FR"]}}},
	)
	admin.decision.reasons == [{
		"code": "outside_scope",
		"permission": "user.manage",
		"org": "DE",
		"message": "the user has memberships outside the user.manage scope of DE",
	}] with input as inp
}

test_fail_user_put_without_target_facts if {
	_codes(admin.decision) == ["outside_scope"] with input as _op(
		"DE",
		[fx.m("DE", ["emp_admin"], false)],
		"user.put",
		{"id": "dave"},
	)
}

test_success_new_user_and_self_view if {
	admin.decision.decision == "allow" with input as object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.put", {"id": "erin"}),
		{"graph": {"target": {"user": null, "orgs": []}}},
	)
	admin.decision.reasons == [{
		"code": "self",
		"user": "carol",
		"message": "a user may view itself",
	}] with input as _op(
		"DE",
		[],
		"user.view",
		{"id": "carol"},
	)
}

test_fail_user_view if {
	_codes(admin.decision) == ["outside_scope"] with input as object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.view", {"id": "dave"}),
		{"graph": {"target": {"user": {"id": "dave"}, "orgs": ["FR"]}}},
	)
	_codes(admin.decision) == ["unknown_user"] with input as object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.view", {"id": "dave"}),
		{"graph": {"target": {"user": null}}},
	)
	admin.decision.decision == "allow" with input as object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.view", {"id": "dave"}),
		{"graph": {"target": {"user": {"id": "dave"}, "orgs": ["FR", "DE"]}}},
	)
}

# Roles: staff only, validated against the catalog.
test_success_staff_role_put_normalized if {
	admin.decision == {
		"decision": "allow", "allow": true,
		"reasons": [{"code": "staff", "role": "store_admin", "message": "staff role store_admin"}],
		"effects": {"role": {
			"key": "bc_buyer",
			"permissions": [{"code": "order.place", "level": 2}],
			"assignableByBuyers": false,
			"checkout": "direct",
		}},
	} with input as _staff_op(
		null,
		["store_admin"],
		"role.put",
		{"key": "bc_buyer", "permissions": [{"code": "purchase_enable", "level": 2}]},
	)
}

test_fail_role_put_invalid if {
	admin.decision.reasons == [{
		"code": "unsupported_level",
		"field": "permissions[0].level",
		"permission": "order.place",
		"level": 1,
		"supported": [2, 3],
		"message": "level not supported by order.place",
	}] with input as _staff_op(
		null,
		["store_admin"],
		"role.put",
		{"key": "bad", "permissions": [{"code": "order.place", "level": 1}]},
	)
	_codes(admin.decision) == ["staff_only"] with input as _op(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"role.put",
		{"key": "x", "permissions": []},
	)
}

test_success_support_exports if {
	admin.decision.decision == "allow" with input as _staff_op(null, ["store_support"], "export", {})
}

test_fail_support_cannot_import if {
	admin.decision.reasons == [{
		"code": "missing_permission",
		"operation": "import",
		"message": "no staff role covers import",
	}] with input as _staff_op(
		null,
		["store_support"],
		"import",
		{},
	)
}

test_fail_unknown_operation_and_subject if {
	admin.decision.reasons == [{
		"code": "unknown_action",
		"operation": "org.explode",
		"message": "unknown operation org.explode",
	}] with input as _op(
		"DE",
		[],
		"org.explode",
		{},
	)
	admin.decision.reasons == [{
		"code": "unknown_action",
		"operation": "",
		"message": "unknown operation ",
	}] with input as fx.mk("DE", [])
	_codes(admin.decision) == ["unknown_subject"] with input as object.union(
		_op("DE", [], "org.view", {}),
		{"graph": {"user": null}},
	)
}

test_fail_pending_company_admin if {
	inp := object.union(
		_put("DE", [fx.m("DE", ["bc_admin"], false)], "dave", ["bc_junior_buyer"], null),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "pending"})}},
	)
	_codes(admin.decision) == ["org_pending"] with input as inp
}

test_fail_not_associated_admin if {
	_codes(admin.decision) == ["not_associated"] with input as _op("DE", [], "org.view", {})
}

test_fail_malformed_admin_input if {
	# A change that is not an object is an empty change: a membership without roles.
	inp := object.union(_put("DE", [fx.m("ACME", ["org_admin"], true)], "dave", ["buyer"], null), {"change": "all"})
	_codes(admin.decision) == ["role_count"] with input as inp

	# A target that is not an object: no such user.
	_codes(admin.decision) == ["unknown_user"] with input as object.union(
		_put("DE", [fx.m("ACME", ["org_admin"], true)], "dave", ["buyer"], null),
		{"graph": {"target": "dave"}},
	)

	# A role key that is not a string is unknown.
	admin.decision.reasons == [{
		"code": "unknown_role",
		"role": 7,
		"message": "role (not a string) is not known",
	}] with input as _put(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"dave",
		[7],
		null,
	)

	# target.orgs that is not a list: the user is outside the actor's scope.
	_codes(admin.decision) == ["outside_scope"] with input as object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.put", {"id": "dave"}),
		{"graph": {"target": {"user": {"id": "dave"}, "orgs": "DE"}}},
	)
}

test_success_tree_facts_missing_default_to_zero if {
	inp := object.union(
		_op("DE", [fx.m("ACME", ["org_admin"], true)], "org.create", {"id": "X", "parent": "DE"}),
		{"graph": {"tree": null}},
	)
	admin.decision.decision == "allow" with input as inp
	inp2 := object.union(
		_staff_op("US", ["store_admin"], "org.reparent", {"parent": "GLOBEX"}),
		{"graph": {"subtree": "?", "targetTree": null}},
	)
	admin.decision.decision == "allow" with input as inp2
	inp3 := object.union(
		_staff_op("US", ["store_admin"], "org.reparent", {"parent": "BER"}),
		{"graph": {"subtree": {"height": "tall"}}},
	)
	admin.decision.decision == "allow" with input as inp3
}

# ---- MODEL Administration: no privilege escalation through the shape of a membership.

# An inheritable membership cascades into the subtree: a level-2 user.manage (commercetools "Others") reaches the unit
# only.
test_fail_inheritable_membership_beyond_level2_reach if {
	admin.decision.reasons == [{
		"code": "escalation", "field": "inheritable", "permission": "user.manage", "level": 3, "held": 2, "org": "BER",
		"message": concat("", [
			"an inheritable membership at DE cascades into BER,",
			" beyond the actor's user.manage reach (level 2: DE only)",
		]),
	}] with input as _with_subtree(_put("DE", [fx.m("ACME", ["ct_admin"], true)], "dave", ["ct_buyer"], null), 2)
}

# The slice of a membership.put as the sidecar sends it: the org's subtree and its size.
_with_subtree(inp, size) := object.union(inp, {"graph": {"subtree": {"height": 1, "size": size}}})

# MODEL "Administration": judged on the tree as it is - a level-2 admin writes the default (inheritable) membership at
# an org where it reaches nothing: a leaf, or an org whose children opt out of inheritance.
test_success_level2_inheritable_membership_reaching_nothing if {
	admin.decision == {
		"decision": "allow", "allow": true,
		"reasons": [{
			"code": "direct_role",
			"role": "ct_admin",
			"org": "BER",
			"permission": "user.manage",
			"level": 2,
			"message": "role ct_admin held at BER",
		}],
		"effects": {},
	} with input as _with_subtree(
		_op("BER", [fx.m("BER", ["ct_admin"], false)], "membership.put", {"user": "dave", "roles": ["ct_buyer"]}),
		1,
	)
		with input.graph.target as {"user": {"id": "dave", "status": "active"}, "membership": null}

	inp := object.union(
		_with_subtree(_put("DE", [fx.m("DE", ["ct_admin"], false)], "dave", ["ct_buyer"], null), 2),
		{"graph": {"orgs": fx.patch_org("BER", {"inheritRoles": false})}},
	)
	admin.decision.decision == "allow" with input as inp
}

# Fail closed: without the whole subtree in the facts a level-2 admin cannot tell where the membership cascades.
test_fail_level2_inheritable_membership_without_subtree_facts if {
	reason := {
		"code": "escalation", "field": "inheritable", "permission": "user.manage", "level": 3, "held": 2, "org": null,
		"message": concat("", [
			"an inheritable membership at BER cascades into its subtree, which the facts do not show in full,",
			" beyond the actor's user.manage reach (level 2: BER only)",
		]),
	}
	admin.decision.reasons == [reason] with input as _put(
		"BER",
		[fx.m("BER", ["ct_admin"], false)],
		"dave",
		["ct_buyer"],
		null,
	)
	admin.decision.reasons == [reason] with input as _with_subtree(
		_put("BER", [fx.m("BER", ["ct_admin"], false)], "dave", ["ct_buyer"], null),
		3,
	)
}

# A membership is inheritable unless it says otherwise (API import default).
test_fail_inheritable_by_default if {
	inp := object.union(
		_op("DE", [fx.m("DE", ["bc_admin"], false)], "membership.put", {"user": "dave", "roles": ["bc_junior_buyer"]}),
		{"graph": {"target": {"user": {"id": "dave"}, "membership": null}}},
	)
	[[r.code, r.field] | some r in admin.decision.reasons] == [["escalation", "inheritable"]] with input as inp
}

test_success_inheritable_membership_with_level3_reach if {
	admin.decision.decision == "allow" with input as _put(
		"EU",
		[fx.m("EU", ["org_admin"], false)],
		"dave",
		["buyer"],
		null,
	)
}

# Staff are not limited by the actor-level guards.
test_success_staff_writes_inheritable_membership if {
	inp := object.union(
		_staff_op(
			"DE",
			["store_admin"],
			"membership.put",
			{"user": "dave", "roles": ["ct_admin"], "inheritable": true},
		),
		{"graph": {"target": {"user": {"id": "dave"}, "membership": null}}},
	)
	admin.decision.decision == "allow" with input as inp
}

# A BigCommerce company admin limited to 500 per order and 1000 a month.
_limited_admin := {
	"org": "DE",
	"roles": ["bc_admin"],
	"inheritable": false,
	"limits": {"maxOrderTotal": 500, "periodBudget": {"amount": 1000, "period": "month"}},
}

_put_limits(roles, limits) := object.union(
	_put("DE", [_limited_admin], "dave", roles, null),
	{"change": {"inheritable": false, "limits": limits}},
)

_put_no_limits(roles) := object.union(
	_put("DE", [_limited_admin], "dave", roles, null),
	{"change": {"inheritable": false}},
)

test_success_membership_limits_within_the_actors if {
	admin.decision.decision == "allow" with input as _put_limits(
		["bc_senior_buyer"],
		{"maxOrderTotal": 400, "periodBudget": {"amount": 1000, "period": "month"}},
	)
	admin.decision.decision == "allow" with input as _put_limits(
		["bc_senior_buyer"],
		{"maxOrderTotal": 500, "periodBudget": {"amount": 800, "period": "year"}},
	)
}

test_fail_membership_max_order_total_above_the_actors if {
	admin.decision.reasons == [{
		"code": "escalation", "field": "limits.maxOrderTotal", "role": "bc_senior_buyer", "permission": "order.place",
		"value": 800, "held": 500,
		"message": "the maxOrderTotal of role bc_senior_buyer would exceed the actor's own order.place limit in DE",
	}] with input as _put_limits(
		["bc_senior_buyer"],
		{"maxOrderTotal": 800, "periodBudget": {"amount": 1000, "period": "month"}},
	)
}

# Removing a limit (none = unlimited) is more permissive than the actor's limit.
test_fail_membership_without_limits_when_the_actor_has_some if {
	[[r.field, r.value] |
		some r in admin.decision.reasons
	] == [["limits.maxOrderTotal", null]] with input as _put_no_limits(["bc_senior_buyer"])
	[[r.field, r.value] |
		some r in admin.decision.reasons
	] == [["limits.periodBudget", null]] with input as _put_limits(["bc_senior_buyer"], {"maxOrderTotal": 500})
}

test_fail_membership_budget_above_the_actors if {
	admin.decision.reasons == [{
		"code": "escalation", "field": "limits.periodBudget", "role": "bc_senior_buyer", "permission": "order.place",
		"value": {"amount": 2000, "period": "month"}, "held": [{"amount": 1000, "period": "month"}],
		"message": "the periodBudget of role bc_senior_buyer would exceed the actor's own order.place budget in DE",
	}] with input as _put_limits(
		["bc_senior_buyer"],
		{"maxOrderTotal": 500, "periodBudget": {"amount": 2000, "period": "month"}},
	)
}

# The same amount over a shorter period allows more spending.
test_fail_membership_budget_over_a_shorter_period if {
	[r.field | some r in admin.decision.reasons] == ["limits.periodBudget"] with input as _put_limits(
		["bc_senior_buyer"],
		{"maxOrderTotal": 500, "periodBudget": {"amount": 1000, "period": "day"}},
	)
}

# A role's own limits count: the membership keeps them where it sets none.
test_success_role_limits_within_the_actors if {
	role := {
		"key": "capped",
		"assignableByBuyers": true,
		"permissions": [{"code": "order.place", "level": 2}],
		"limits": {"maxOrderTotal": 300, "periodBudget": {"amount": 900, "period": "month"}},
	}
	inp := object.union(_put_no_limits(["capped"]), {"graph": {"roles": {"capped": role}}})
	admin.decision.decision == "allow" with input as inp
}

# Roles without a checkout code are not limited; an actor without limits sets any.
test_success_limits_irrelevant_or_actor_unlimited if {
	admin.decision.decision == "allow" with input as _put_limits(["bc_junior_buyer"], {"maxOrderTotal": 100000})
	inp := object.union(
		_put("DE", [fx.m("DE", ["bc_admin"], false)], "dave", ["bc_senior_buyer"], null),
		{"change": {"inheritable": false}},
	)
	admin.decision.decision == "allow" with input as inp
}

# Quote checkout is a checkout (a finalized quote is an order): its limits are guarded too.
test_fail_quote_checkout_limits_above_the_actors if {
	role := {"key": "quoter", "assignableByBuyers": true, "permissions": [{"code": "quote.checkout", "level": 2}]}
	inp := object.union(
		_put_limits(["quoter"], {"maxOrderTotal": 900, "periodBudget": {"amount": 1000, "period": "month"}}),
		{"graph": {"roles": {"quoter": role}}},
	)
	[[r.permission, r.field] |
		some r in admin.decision.reasons
	] == [["quote.checkout", "limits.maxOrderTotal"]] with input as inp
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

# ---- MODEL Administration: no admin of one tree touches a user's standing in another.

# target.orgs is store-wide: an org of another tree (in the slice or not) is never within the actor's scope.
test_fail_user_put_with_a_membership_in_another_tree if {
	reason := {
		"code": "outside_scope",
		"permission": "user.manage",
		"org": "ACME",
		"message": "the user has memberships outside the user.manage scope of ACME",
	}
	some orgs in [["DE", "GLOBEX-OPS"], ["GLOBEX"], ["BER", "GLOBEX"]]
	admin.decision == {
		"decision": "deny",
		"allow": false,
		"reasons": [reason],
		"effects": {},
	} with input as object.union(
		_op("ACME", [fx.m("ACME", ["org_admin"], true)], "user.put", {"id": "frank", "email": "f@evil.test"}),
		{"graph": {"target": {"user": {"id": "frank", "status": "active"}, "orgs": orgs}}},
	)
}

_view(orgs) := object.union(
	_op("ACME", [fx.m("ACME", ["org_admin"], true)], "user.view", {"id": "frank"}),
	{"graph": {"target": {"user": {"id": "frank", "status": "active"}, "orgs": orgs}}},
)

# Reading a user: the memberships within the reader's user.view scope; the account only when the reader may edit it.
test_success_user_view_shows_what_the_reader_may_see if {
	how := _direct("org_admin", "ACME", "user.view", 3)
	admin.decision == {
		"decision": "allow", "allow": true, "reasons": [how],
		"effects": {"visibleOrgs": ["US"], "accountEditable": false, "emailVisible": false},
	} with input as _view(["US", "GLOBEX-OPS"])
	admin.decision == {
		"decision": "allow", "allow": true, "reasons": [how],
		"effects": {"visibleOrgs": ["BER", "US"], "accountEditable": true, "emailVisible": true},
	} with input as _view(["US", "BER"])

	# An opt-out cuts the reader's scope: FR is hidden, and the account is not editable.
	cut := object.union(_view(["FR", "US"]), {"graph": {"orgs": fx.patch_org("FR", {"inheritRoles": false})}})
	admin.decision.effects == {"visibleOrgs": ["US"], "accountEditable": false, "emailVisible": false} with input as cut

	# A level-2 reader sees the org itself only, and edits a user of that org alone; an inactive org refuses user.manage,
	# so the account is not editable.
	admin.decision.effects == {
		"visibleOrgs": ["DE"],
		"accountEditable": false,
		"emailVisible": false,
	} with input as object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.view", {"id": "dave"}),
		{"graph": {"target": {"user": {"id": "dave"}, "orgs": ["BER", "DE"]}}},
	)
	admin.decision.effects == {
		"visibleOrgs": ["DE"],
		"accountEditable": true,
		"emailVisible": true,
	} with input as object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.view", {"id": "dave"}),
		{"graph": {"target": {"user": {"id": "dave"}, "orgs": ["DE"]}}},
	)
	admin.decision.effects == {
		"visibleOrgs": ["DE"],
		"accountEditable": false,
		"emailVisible": false,
	} with input as object.union(
		_op("DE", [fx.m("DE", ["emp_admin"], false)], "user.view", {"id": "dave"}),
		{"graph": {
			"target": {"user": {"id": "dave"}, "orgs": ["DE"]},
			"orgs": fx.patch_org("DE", {"status": "inactive"}),
		}},
	)
}

_staff_view(roles) := object.union(
	_staff_op(null, roles, "user.view", {"id": "frank"}),
	{"graph": {"target": {"user": {"id": "frank"}, "orgs": ["US", "GLOBEX"]}}},
)

test_success_user_view_by_itself_and_by_staff if {
	admin.decision.effects == {
		"visibleOrgs": ["DE", "GLOBEX"],
		"accountEditable": false,
		"emailVisible": true,
	} with input as object.union(
		_op("DE", [fx.m("DE", ["buyer"], false)], "user.view", {"id": "carol"}),
		{"graph": {"target": {"user": {"id": "carol"}, "orgs": ["GLOBEX", "DE"]}}},
	)
	admin.decision.effects == {
		"visibleOrgs": ["GLOBEX", "US"],
		"accountEditable": true,
		"emailVisible": true,
	} with input as _staff_view(["store_admin"])
	admin.decision.effects == {
		"visibleOrgs": ["GLOBEX", "US"],
		"accountEditable": false,
		"emailVisible": true,
	} with input as _staff_view(["store_support"])
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
	orgs := _tree_orgs
	admin.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_direct("bc_admin", "EU", "org.view_subsidiaries", 3)],
		"effects": {"visibleOrgs": ["BER", "DE", "EU"]},
	} with input as _tree([fx.m("EU", ["bc_admin"], false)])

	# A pending org is hidden with its subtree; an inactive one stays readable.
	pending := object.union(
		_tree([fx.m("EU", ["bc_admin"], false)]),
		{"graph": {"orgs": object.union(orgs, {"DE": object.union(orgs.DE, {"status": "pending"})})}},
	)
	admin.decision.effects == {"visibleOrgs": ["EU"]} with input as pending
	inactive := object.union(
		_tree([fx.m("EU", ["bc_admin"], false)]),
		{"graph": {"orgs": object.union(orgs, {"DE": object.union(orgs.DE, {"status": "inactive"})})}},
	)
	admin.decision.effects == {"visibleOrgs": ["BER", "DE", "EU"]} with input as inactive

	# Staff see the whole subtree.
	staff := object.union(_staff_op("EU", ["store_support"], "org.tree", {}), {"graph": {"orgs": orgs}})
	admin.decision.effects == {"visibleOrgs": ["BER", "DE", "EU", "FR", "PAR"]} with input as staff
}
