package b2b.check_test

import data.b2b.check
import data.b2b.fixtures_test as fx

# ---- MODEL: checkout limits

test_success_within_limits if {
	check.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_direct("capped", "DE", "order.place", 2), _within("capped", "DE", "order.place")],
	} with input as _limited("DE", [fx.m("DE", ["capped"], false)], _order("DE", "carol", 200, 800))
}

test_success_over_max_order_total_needs_approval if {
	check.decision == {
		"decision": "approval_required", "allow": false,
		"reasons": [
			_direct("capped", "DE", "order.place", 2),
			{
				"code": "over_limit", "role": "capped", "org": "DE", "limit": "maxOrderTotal", "max": 500, "total": 600,
				"message": "order over the maxOrderTotal of role capped at DE",
			},
		],
		"approvers": {"org": "DE", "permission": "approval.decide"},
	} with input as _limited("DE", [fx.m("DE", ["capped"], false)], _order("DE", "carol", 600, 0))
}

test_success_over_period_budget_needs_approval if {
	check.decision.reasons[1] == {
		"code": "over_limit", "role": "capped", "org": "DE", "limit": "periodBudget",
		"amount": 1000, "period": "month", "spentInPeriod": 800, "total": 300,
		"message": "order over the periodBudget of role capped at DE",
	} with input as _limited("DE", [fx.m("DE", ["capped"], false)], _order("DE", "carol", 300, 800))
}

test_fail_over_limit_denied_where_tree_says_deny if {
	inp := object.union(
		_limited("DE", [fx.m("DE", ["capped"], false)], _order("DE", "carol", 600, 0)),
		{"graph": {"tree": {"overLimit": "deny"}}},
	)
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "limit_exceeded", "role": "capped", "org": "DE", "limit": "maxOrderTotal", "max": 500, "total": 600,
			"message": "order over the maxOrderTotal of role capped at DE",
		}],
	} with input as inp
}

test_success_membership_limits_override_role if {
	ms := [{
		"org": "DE",
		"roles": ["capped"],
		"inheritable": false,
		"limits": {"maxOrderTotal": 5000, "periodBudget": {"amount": 10000}},
	}]
	check.decision.decision == "allow" with input as _limited("DE", ms, _order("DE", "carol", 600, 800))
}

test_fail_membership_limits_tighter_than_role if {
	ms := [{"org": "DE", "roles": ["free"], "inheritable": false, "limits": {"maxOrderTotal": 50}}]
	check.decision.reasons[1].code == "over_limit" with input as _limited("DE", ms, _order("DE", "carol", 60, 0))
}

# MODEL: the most permissive grant decides - one direct grant within its limits is enough.
test_success_most_permissive_grant_wins if {
	ms := [fx.m("ACME", ["capped"], true), fx.m("DE", ["free"], false)]
	check.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_direct("free", "DE", "order.place", 2), _within("free", "DE", "order.place")],
	} with input as _limited("DE", ms, _order("DE", "carol", 600, 0))
}

test_success_inherited_within_limits_beats_direct_approval if {
	ms := [fx.m("ACME", ["free"], true), fx.m("DE", ["emp_requester"], false)]
	check.decision.reasons == [
		_inherited("free", "ACME", "order.place", 2),
		_within("free", "ACME", "order.place"),
	] with input as _limited("DE", ms, _order("DE", "carol", 600, 0))
}

test_success_checkout_without_resource if {
	check.decision.decision == "allow" with input as _limited("DE", [fx.m("DE", ["capped"], false)], null)
}

test_success_resource_defaults_to_acting_org if {
	check.decision.decision == "allow" with input as fx.chk(
		"DE",
		[fx.m("DE", ["ct_buyer"], true)],
		"order.view",
		{"type": "order", "buyer": "carol"},
	)
}

# MODEL Role: a custom role of the slice replaces the built-in template of the same key entirely - codes it does not
# grant are not read from the template.
test_fail_custom_role_replaces_template_of_same_key if {
	inp := object.union(
		fx.chk("DE", [fx.m("DE", ["buyer"], false)], "order.place", null),
		{"graph": {"roles": {"buyer": {"key": "buyer", "permissions": [{"code": "catalog.browse", "level": 2}]}}}},
	)
	check.decision.reasons == [{
		"code": "missing_permission",
		"permission": "order.place",
		"org": "DE",
		"message": "no role held in DE grants order.place",
	}] with input as inp
	check.decision.allow with input as object.union(inp, {"action": "catalog.browse"})
}

# A checkout without an order (may the subject place orders here at all) goes through the limits with a total of 0.
test_success_checkout_without_resource_within_limits if {
	check.decision == {"decision": "allow", "allow": true, "reasons": [
		{
			"code": "direct_role",
			"role": "buyer",
			"org": "DE",
			"permission": "order.place",
			"level": 2,
			"message": "role buyer held at DE",
		},
		{
			"code": "within_limit",
			"role": "buyer",
			"org": "DE",
			"permission": "order.place",
			"message": "within the limits of role buyer at DE",
		},
	]} with input as fx.chk("DE", [fx.m("DE", ["buyer"], false)], "order.place", null)
}
