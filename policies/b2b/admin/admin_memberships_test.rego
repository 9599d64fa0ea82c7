package b2b.admin_test

import data.b2b.admin
import data.b2b.fixtures_test as fx

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
