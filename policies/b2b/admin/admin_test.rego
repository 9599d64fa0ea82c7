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
		"error": "forbidden",
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

# README "Admin decisions", `error`: an org unknown to staff is not found; a buyer is only refused.
test_fail_unknown_org_is_not_found_for_staff_and_forbidden_for_buyers if {
	reason := {"code": "unknown_org", "org": "NOPE", "message": "org NOPE is not known"}
	admin.decision == {
		"decision": "deny", "allow": false, "reasons": [reason], "effects": {},
		"error": "not_found",
	} with input as _staff_op("NOPE", ["store_admin"], "org.view", {})
	admin.decision == {
		"decision": "deny", "allow": false, "reasons": [reason], "effects": {},
		"error": "forbidden",
	} with input as _op("NOPE", [fx.m("ACME", ["org_admin"], true)], "org.view", {})
}

# The catalog's error classes are the ones the decision can name, each with its rule.
test_success_every_error_class_has_a_rule if {
	every c in data.b2b.catalog.adminErrorClasses {
		some reasons in [[{"code": "cycle"}], [{"code": "depth_limit"}], [{"code": "unknown_org"}], []]
		admin._error_applies(c, reasons) with input as _staff_op("ACME", ["store_admin"], "org.view", {})
	}
}
