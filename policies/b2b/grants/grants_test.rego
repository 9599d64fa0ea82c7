package b2b.grants_test

import data.b2b.fixtures_test as fx
import data.b2b.grants

# The grants of `code` for one input, as [role, org, via, level] (the helper every test here reads them through).
_entries(org, ms, code) := r if {
	# regal ignore:with-outside-test-context
	es := grants.for_code(code) with input as fx.mk(org, ms)
	r := {[e.role, e.org, e.via, e.level] | some e in es}
}

# MODEL rule 1; AI Commerce Cloud: an orderer holds its role in its organization.
test_success_aicommerce_direct_role if {
	_entries("DE", [fx.m("DE", ["buyer"], false)], "order.place") == {["buyer", "DE", "direct", 2]}
	grants.role_grants == [{
		"role": "buyer",
		"org": "DE",
		"via": "direct",
		"rank": 0,
		"dist": 0,
		"m": 0,
	}] with input as fx.mk(
		"DE",
		[fx.m("DE", ["buyer"], false)],
	)
}

# MODEL rule 2; commercetools: a division inherits the roles assigned on the company ("children will inherit").
test_success_commercetools_inherited_role_from_parent_unit if {
	_entries("DE", [fx.m("ACME", ["ct_admin"], true)], "user.manage") == {["ct_admin", "ACME", "inherited", 2]}
	grants.role_grants == [{
		"role": "ct_admin",
		"org": "ACME",
		"via": "inherited",
		"rank": 1,
		"dist": 2,
		"m": 0,
	}] with input as fx.mk(
		"DE",
		[fx.m("ACME", ["ct_admin"], true)],
	)
}

# commercetools: "Children will inherit" off - the role stays at the company.
test_fail_commercetools_children_will_not_inherit if {
	_entries("DE", [fx.m("ACME", ["ct_admin"], false)], "user.manage") == set()
	grants.role_grants == [] with input as fx.mk("DE", [fx.m("ACME", ["ct_admin"], false)])
	not grants.associated with input as fx.mk("DE", [fx.m("ACME", ["ct_admin"], false)])
}

# commercetools Explicit (inheritRoles false) on an org between the ancestor and the acting org cuts inheritance.
test_fail_commercetools_explicit_unit_cuts_inheritance if {
	inp := object.union(
		fx.mk("BER", [fx.m("ACME", ["ct_admin"], true)]),
		{"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}},
	)
	grants.role_grants == [] with input as inp
	grants.codes == set() with input as inp
}

# commercetools Inactive: inheritance passes through an inactive unit unchanged.
test_success_commercetools_inheritance_through_inactive_unit if {
	inp := object.union(
		fx.mk("BER", [fx.m("ACME", ["ct_admin"], true)]),
		{"graph": {"orgs": fx.patch_org("EU", {"status": "inactive"})}},
	)
	count(grants.role_grants) == 1 with input as inp
}

# MODEL rule 3; Elastic Path: associations are not inherited, but account purchases cover the subtree (level 3).
test_success_elastic_path_level3_reach_of_non_inherited_association if {
	_entries("DE", [fx.m("EU", ["ep_buyer"], false)], "order.view") == {["ep_buyer", "EU", "level3_reach", 3]}
	_entries(
		"DE",
		[fx.m("EU", ["ep_buyer"], false)],
		"org.view_subsidiaries",
	) == {["ep_buyer", "EU", "level3_reach", 3]}
	grants.role_grants == [] with input as fx.mk("DE", [fx.m("EU", ["ep_buyer"], false)])
}

test_fail_elastic_path_association_not_inherited if {
	_entries("DE", [fx.m("EU", ["ep_buyer"], false)], "order.place") == set()
	_entries("DE", [fx.m("EU", ["ep_buyer"], false)], "catalog.browse") == set()
}

test_fail_level3_reach_cut_by_opt_out if {
	inp := object.union(
		fx.mk("DE", [fx.m("EU", ["ep_buyer"], false)]),
		{"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}},
	)
	grants.codes == set() with input as inp
}

# A level-3 permission of an inherited role is an inherited grant, not a separate level-3 reach.
test_success_level3_of_inheritable_membership_is_inherited if {
	_entries("DE", [fx.m("EU", ["ep_buyer"], true)], "order.view") == {["ep_buyer", "EU", "inherited", 3]}
}

test_fail_unknown_roles_grant_nothing if {
	grants.codes == set() with input as fx.mk("DE", [fx.m("DE", ["ghost"], true)])
	grants.role_perms == {} with input as fx.mk("DE", [fx.m("DE", ["ghost"], true)])
}

test_success_custom_role_normalized if {
	inp := object.union(fx.mk("DE", [fx.m("DE", ["bc_custom"], false)]), {"graph": {"roles": {"bc_custom": {
		"key": "bc_custom",
		"permissions": [
			{"code": "get_orders", "level": 1},
			{"code": "get_order_detail", "level": 2},
			{"code": "purchase_enable", "level": 1},
		],
	}}}})
	grants.role_perms == {"bc_custom": {"order.view": 2}} with input as inp
}

test_success_by_code_and_max_level if {
	inp := fx.mk("DE", [fx.m("ACME", ["ep_buyer"], false), fx.m("DE", ["buyer"], false)])
	grants.max_level("order.view") == 3 with input as inp
	count(grants.for_code("order.view")) == 2 with input as inp
	grants.reach_grants == [{
		"role": "ep_buyer",
		"org": "ACME",
		"via": "level3_reach",
		"rank": 2,
		"dist": 2,
		"m": 0,
	}] with input as inp
}

test_fail_code_not_held if {
	grants.for_code("user.manage") == [] with input as fx.mk("DE", [fx.m("DE", ["buyer"], false)])
	not "user.manage" in grants.codes with input as fx.mk("DE", [fx.m("DE", ["buyer"], false)])
}

test_success_best_prefers_direct_then_nearest if {
	es := [
		{"rank": 1, "dist": 1, "role": "a", "m": 0},
		{"rank": 0, "dist": 0, "role": "z", "m": 2},
		{"rank": 1, "dist": 0, "role": "b", "m": 1},
		{"rank": 0, "dist": 0, "role": "y", "m": 3},
	]
	grants.best(es) == {"rank": 0, "dist": 0, "role": "y", "m": 3}
}

test_success_how_reasons if {
	grants.how({"via": "direct", "role": "buyer", "org": "DE", "code": "order.place", "level": 2}) == {
		"code": "direct_role", "role": "buyer", "org": "DE", "permission": "order.place", "level": 2,
		"message": "role buyer held at DE",
	}
	grants.how({"via": "inherited", "role": "ct_admin", "org": "ACME", "code": "order.view", "level": 2}) == {
		"code": "inherited_role", "role": "ct_admin", "org": "ACME", "permission": "order.view", "level": 2,
		"message": "role ct_admin inherited from ACME",
	}
	grants.how({"via": "level3_reach", "role": "ep_buyer", "org": "EU", "code": "order.view", "level": 3}) == {
		"code": "level3_reach", "role": "ep_buyer", "org": "EU", "permission": "order.view", "level": 3,
		"message": "order.view at level 3 of role ep_buyer at EU reaches DE",
	} with input as fx.mk("DE", [])
}

test_success_staff_roles if {
	grants.staff_role("order.place") == "store_admin" with input as fx.staff("DE", ["store_support", "store_admin"])
	grants.staff_role("order.view") == "store_support" with input as fx.staff("DE", ["store_support"])
	grants.staff_operation_role("export") == "store_support" with input as fx.staff("DE", ["store_support"])
	grants.staff_operation_role("import") == "store_admin" with input as fx.staff("DE", ["store_admin"])
}

test_fail_staff_roles if {
	not grants.staff_role("order.place") with input as fx.staff("DE", ["store_support"])
	not grants.staff_operation_role("import") with input as fx.staff("DE", ["store_support"])
	not grants.staff_role("order.view") with input as fx.staff("DE", ["ghost"])
	grants.staff_roles == [] with input as fx.staff("DE", "store_admin")
}

# Entry tuples [rank, dist, role, m, level, org, via]: the smallest is the best grant.
test_success_entry_tuples if {
	inp := fx.mk(
		"DE",
		[fx.m("ACME", ["ep_buyer"], false), fx.m("EU", ["org_admin"], true), fx.m("DE", ["buyer"], false)],
	)
	es := grants.entries("order.view") with input as inp
	es == [
		[1, 1, "org_admin", 1, 3, "EU", "inherited"],
		[0, 0, "buyer", 2, 1, "DE", "direct"],
		[2, 2, "ep_buyer", 0, 3, "ACME", "level3_reach"],
	]
	min(es) == [0, 0, "buyer", 2, 1, "DE", "direct"]
	grants.how_entry(min(es), "order.view") == {
		"code": "direct_role", "role": "buyer", "org": "DE", "permission": "order.view", "level": 1,
		"message": "role buyer held at DE",
	} with input as inp
}

test_success_entry_limits_membership_over_role if {
	inp := object.union(
		fx.mk(
			"DE",
			[{"org": "DE", "roles": ["capped"], "limits": {"periodBudget": {"amount": 50}}}],
		),
		{"graph": {"roles": {"capped": {
			"key": "capped",
			"permissions": [{"code": "order.place", "level": 2}],
			"limits": {"maxOrderTotal": 10, "periodBudget": {"amount": 100, "period": "week"}},
		}}}},
	)
	grants.limits(grants.entries("order.place")[0]) == {
		"maxOrderTotal": 10,
		"periodBudget": {"amount": 50, "period": "week"},
	} with input as inp
	grants.role_limits("buyer") == {} with input as inp
}
