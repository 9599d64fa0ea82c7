package b2b.admin_test

import data.b2b.admin
import data.b2b.fixtures_test as fx

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
		"error": "forbidden",
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
