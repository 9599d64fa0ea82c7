package b2b.check_test

import data.b2b.check
import data.b2b.fixtures_test as fx

_order(org, buyer, total, spent) := {
	"type": "order",
	"id": "o1",
	"org": org,
	"buyer": buyer,
	"attributes": {"total": total, "spentInPeriod": spent},
}

_direct(role, org, code, level) := {
	"code": "direct_role", "role": role, "org": org, "permission": code, "level": level,
	"message": concat("", ["role ", role, " held at ", org]),
}

_inherited(role, org, code, level) := {
	"code": "inherited_role", "role": role, "org": org, "permission": code, "level": level,
	"message": concat("", ["role ", role, " inherited from ", org]),
}

_within(role, org, code) := {
	"code": "within_limit", "role": role, "org": org, "permission": code,
	"message": concat("", ["within the limits of role ", role, " at ", org]),
}

# Custom roles for the checkout tests (MODEL Role limits; AI Commerce Cloud "limit order actions and payment behavior").
_limited_roles := {
	"capped": {
		"key": "capped", "name": "Capped buyer", "assignableByBuyers": true,
		"permissions": [{"code": "order.place", "level": 2}, {"code": "order.view", "level": 1}],
		"limits": {"maxOrderTotal": 500, "periodBudget": {"amount": 1000, "period": "month"}},
	},
	"free": {"key": "free", "name": "Free buyer", "permissions": [{"code": "order.place", "level": 2}]},
}

_limited(org, ms, resource) := object.union(
	fx.chk(org, ms, "order.place", resource),
	{"graph": {"roles": _limited_roles}},
)

# ---- MODEL: unknown facts

test_fail_unknown_action_stops_at_once if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{"code": "unknown_action", "action": "order.explode", "message": "unknown action order.explode"}],
	} with input as object.union(fx.chk("NOWHERE", [], "order.explode", null), {"graph": {"user": null}})
}

test_fail_missing_action if {
	check.decision.reasons == [{
		"code": "unknown_action",
		"action": null,
		"message": "unknown action (none)",
	}] with input as fx.mk("DE", [])
}

test_fail_unknown_subject if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{"code": "unknown_subject", "subject": "carol", "message": "subject carol is not known"}],
	} with input as object.union(fx.chk("DE", [], "order.view", null), {"graph": {"user": null}})
}

test_fail_unknown_org if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{"code": "unknown_org", "org": "XX", "message": "org XX is not known"}],
	} with input as fx.chk("XX", [fx.m("XX", ["buyer"], true)], "order.view", null)
}

test_fail_unknown_resource_org if {
	check.decision.reasons == [{
		"code": "unknown_org",
		"org": "ZZ",
		"message": "org ZZ is not known",
	}] with input as fx.chk(
		"DE",
		[fx.m("DE", ["org_admin"], true)],
		"order.view",
		{"org": "ZZ"},
	)
}

# MODEL: authority never crosses trees.
test_fail_cross_tree_resource if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{"code": "cross_tree", "org": "GLOBEX", "message": "org GLOBEX is in another tree than DE"}],
	} with input as fx.chk("DE", [fx.m("ACME", ["org_admin"], true)], "order.view", _order("GLOBEX", "bob", 1, 0))
}

test_fail_disabled_user_everywhere if {
	check.decision.reasons == [{
		"code": "user_disabled",
		"subject": "carol",
		"message": "user carol is disabled",
	}] with input as object.union(
		fx.chk("DE", [fx.m("ACME", ["org_admin"], true)], "catalog.browse", null),
		{"graph": {"user": {"status": "disabled"}}},
	)
}

# ---- AI Commerce Cloud (000): only designated buyers may place orders.

test_success_aicommerce_orderer_places_order if {
	check.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_direct("buyer", "DE", "order.place", 2), _within("buyer", "DE", "order.place")],
	} with input as fx.chk("DE", [fx.m("DE", ["buyer"], false)], "order.place", _order("DE", "carol", 100, 0))
}

test_fail_aicommerce_viewer_cannot_order if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "missing_permission",
			"permission": "order.place",
			"org": "DE",
			"message": "no role held in DE grants order.place",
		}],
	} with input as fx.chk("DE", [fx.m("DE", ["viewer"], false)], "order.place", null)
}

test_success_aicommerce_viewer_sees_prices if {
	check.decision == {
		"decision": "allow",
		"allow": true,
		"reasons": [_direct("viewer", "DE", "price.view", 2)],
	} with input as fx.chk("DE", [fx.m("DE", ["viewer"], false)], "price.view", null)
}

test_fail_not_associated if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "not_associated",
			"org": "DE",
			"message": "no membership on the path of DE grants anything there",
		}],
	} with input as fx.chk(
		"DE",
		[fx.m("FR", ["org_admin"], true), fx.m("ACME", ["buyer"], false)],
		"catalog.browse",
		null,
	)
}

# ---- commercetools (002)

test_success_commercetools_inherited_role_from_parent_unit if {
	check.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_inherited("ct_admin", "ACME", "user.manage", 2)],
	} with input as fx.chk("DE", [fx.m("ACME", ["ct_admin"], true)], "user.manage", null)
}

test_fail_commercetools_explicit_unit_does_not_inherit if {
	inp := object.union(
		fx.chk("DE", [fx.m("ACME", ["ct_admin"], true)], "user.manage", null),
		{"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}},
	)
	check.decision.reasons[0].code == "not_associated" with input as inp
}

# "Manage my own ..." is level 1: own order yes, another associate's order no.
test_success_commercetools_my_orders_level1 if {
	check.decision == {
		"decision": "allow",
		"allow": true,
		"reasons": [_direct("ct_buyer", "DE", "order.update", 1)],
	} with input as fx.chk("DE", [fx.m("DE", ["ct_buyer"], true)], "order.update", _order("DE", "carol", 1, 0))
}

test_fail_commercetools_others_orders_level_too_low if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "level_too_low", "permission": "order.update", "org": "DE", "level": 1, "required": 2,
			"message": "order.update is held at level 1, the resource needs level 2",
		}],
	} with input as fx.chk("DE", [fx.m("DE", ["ct_buyer"], true)], "order.update", _order("DE", "bob", 1, 0))
}

test_fail_commercetools_inactive_unit_no_new_cart if {
	inp := object.union(
		fx.chk("DE", [fx.m("DE", ["ct_buyer"], true)], "cart.create", null),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "inactive"})}},
	)
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "org_inactive", "org": "DE", "status": "inactive",
			"message": "org DE is inactive: no new business (cart.create is transactional)",
		}],
	} with input as inp
}

test_success_commercetools_inactive_unit_reads_allowed if {
	inp := object.union(
		fx.chk("DE", [fx.m("DE", ["ct_buyer"], true)], "order.view", _order("DE", "carol", 1, 0)),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "inactive"})}},
	)
	check.decision.decision == "allow" with input as inp
}

# ---- Elastic Path (003)

test_fail_elastic_path_association_not_inherited if {
	check.decision.reasons == [{
		"code": "missing_permission",
		"permission": "order.place",
		"org": "DE",
		"message": "no role held in DE grants order.place",
	}] with input as fx.chk(
		"DE",
		[fx.m("EU", ["ep_buyer"], false)],
		"order.place",
		null,
	)
}

test_success_elastic_path_subtree_purchases_visible if {
	check.decision == {
		"decision": "allow", "allow": true,
		"reasons": [_direct("ep_buyer", "EU", "order.view", 3)],
	} with input as fx.chk("EU", [fx.m("EU", ["ep_buyer"], false)], "order.view", _order("BER", "bob", 1, 0))
}

test_success_elastic_path_level3_reach_in_child_account if {
	check.decision == {
		"decision": "allow", "allow": true,
		"reasons": [{
			"code": "level3_reach", "role": "ep_buyer", "org": "EU", "permission": "order.view", "level": 3,
			"message": "order.view at level 3 of role ep_buyer at EU reaches DE",
		}],
	} with input as fx.chk("DE", [fx.m("EU", ["ep_buyer"], false)], "order.view", _order("DE", "bob", 1, 0))
}

test_fail_elastic_path_disabled_account if {
	inp := object.union(
		fx.chk("DE", [fx.m("DE", ["ep_buyer"], false)], "catalog.browse", null),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "disabled"})}},
	)
	check.decision.reasons == [{
		"code": "org_disabled",
		"org": "DE",
		"status": "disabled",
		"message": "org DE is disabled: acting in it is refused",
	}] with input as inp
}

test_fail_elastic_path_suspended_no_order if {
	inp := object.union(
		fx.chk("DE", [fx.m("DE", ["ep_buyer"], false)], "order.place", null),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "suspended"})}},
	)
	check.decision.reasons[0].code == "org_suspended" with input as inp
}

test_success_elastic_path_suspended_cart_allowed if {
	inp := object.union(
		fx.chk("DE", [fx.m("DE", ["ep_buyer"], false)], "cart.create", null),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "suspended"})}},
	)
	check.decision.decision == "allow" with input as inp
}

# Seller administrators have full access to all accounts, whatever their status.
test_success_elastic_path_seller_admin_staff if {
	inp := object.union(
		fx.staff("DE", ["store_admin"]),
		{"action": "order.place", "graph": {"orgs": fx.patch_org("DE", {"status": "disabled"})}},
	)
	check.decision == {
		"decision": "allow",
		"allow": true,
		"reasons": [{"code": "staff", "role": "store_admin", "message": "staff role store_admin"}],
	} with input as inp
}

test_fail_staff_support_cannot_order if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "missing_permission",
			"permission": "order.place",
			"message": "no staff role grants order.place",
		}],
	} with input as object.union(fx.staff("DE", ["store_support"]), {"action": "order.place"})
}

# ---- BigCommerce (004)

test_fail_bigcommerce_pending_company_denied if {
	inp := object.union(
		fx.chk("DE", [fx.m("DE", ["bc_admin"], false)], "get_orders", null),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "pending"})}},
	)
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "org_pending",
			"org": "DE",
			"status": "pending",
			"message": "org DE is pending: acting in it is refused",
		}],
	} with input as inp
}

test_fail_bigcommerce_resource_in_pending_subsidiary if {
	inp := object.union(
		fx.chk("EU", [fx.m("EU", ["org_admin"], false)], "order.view", _order("DE", "bob", 1, 0)),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "pending"})}},
	)
	check.decision.reasons == [{
		"code": "org_pending",
		"org": "DE",
		"status": "pending",
		"message": "org DE is pending: everything is refused",
	}] with input as inp
}

test_fail_bigcommerce_junior_buyer_cannot_purchase if {
	check.decision.reasons == [{
		"code": "missing_permission",
		"permission": "order.place",
		"org": "DE",
		"message": "no role held in DE grants order.place",
	}] with input as fx.chk(
		"DE",
		[fx.m("DE", ["bc_junior_buyer"], false)],
		"purchase_enable",
		null,
	)
}

test_success_bigcommerce_junior_buyer_submits_list if {
	check.decision == {
		"decision": "allow",
		"allow": true,
		"reasons": [_direct("bc_junior_buyer", "DE", "list.submit", 1)],
	} with input as fx.chk(
		"DE",
		[fx.m("DE", ["bc_junior_buyer"], false)],
		"submit_shopping_list_for_approval",
		{"type": "shopping_list", "org": "DE", "owner": "carol"},
	)
}

test_success_bigcommerce_senior_buyer_purchases if {
	check.decision == {
		"decision": "allow", "allow": true,
		"reasons": [
			_direct("bc_senior_buyer", "DE", "order.place", 2),
			_within("bc_senior_buyer", "DE", "order.place"),
		],
	} with input as fx.chk(
		"DE",
		[fx.m("DE", ["bc_senior_buyer"], false)],
		"purchase_enable",
		_order("DE", "carol", 10, 0),
	)
}

test_success_bigcommerce_company_and_subsidiaries_level3 if {
	check.decision.decision == "allow" with input as fx.chk(
		"EU",
		[fx.m("EU", ["bc_admin"], false)],
		"get_company_subsidiaries",
		null,
	)
}

test_fail_bigcommerce_company_level_does_not_reach_subsidiary if {
	check.decision.reasons == [{
		"code": "level_too_low", "permission": "order.view", "org": "DE", "level": 2, "required": 3,
		"message": "order.view is held at level 2, the resource needs level 3",
	}] with input as fx.chk("EU", [fx.m("EU", ["bc_admin"], false)], "get_orders", _order("DE", "bob", 1, 0))
}

# ---- MODEL: never up or sideways

test_fail_resource_in_sibling_outside_scope if {
	check.decision.reasons == [{
		"code": "outside_scope",
		"org": "FR",
		"message": "org FR is not DE nor in its subtree",
	}] with input as fx.chk(
		"DE",
		[fx.m("ACME", ["org_admin"], true)],
		"order.view",
		_order("FR", "bob", 1, 0),
	)
}

test_fail_resource_below_opt_out_outside_scope if {
	inp := object.union(
		fx.chk("EU", [fx.m("EU", ["org_admin"], true)], "order.view", _order("BER", "bob", 1, 0)),
		{"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}},
	)
	check.decision.reasons == [{
		"code": "outside_scope",
		"org": "BER",
		"message": "org BER is below an org of EU's subtree that does not inherit roles",
	}] with input as inp
}

# ---- Emporix (001)

test_success_emporix_requester_needs_approval if {
	check.decision == {
		"decision": "approval_required", "allow": false,
		"reasons": [
			_direct("emp_requester", "DE", "order.place", 2),
			{
				"code": "approval_checkout",
				"role": "emp_requester",
				"org": "DE",
				"message": "role emp_requester always checks out through approval",
			},
		],
		"approvers": {"org": "DE", "permission": "approval.decide"},
	} with input as fx.chk("DE", [fx.m("DE", ["emp_requester"], false)], "order.place", _order("DE", "carol", 10, 0))
}

test_success_emporix_requester_quote_checkout_needs_approval if {
	check.decision.decision == "approval_required" with input as fx.chk(
		"DE",
		[fx.m("DE", ["emp_requester"], false)],
		"checkout_with_quote",
		{"type": "quote", "org": "DE", "buyer": "carol"},
	)
}

test_success_emporix_buyer_in_two_legal_entities_no_union if {
	# Memberships of another tree are never used, even if sent by mistake.
	check.decision.reasons[0].code == "not_associated" with input as fx.chk(
		"DE",
		[fx.m("GLOBEX", ["emp_admin"], true)],
		"order.view",
		null,
	)
}

test_success_emporix_admin_approves if {
	check.decision == {
		"decision": "allow",
		"allow": true,
		"reasons": [_direct("emp_admin", "DE", "approval.decide", 2)],
	} with input as fx.chk("DE", [fx.m("DE", ["emp_admin"], false)], "approval.decide", _order("DE", "bob", 10, 0))
}

test_fail_own_order_approval if {
	check.decision == {
		"decision": "deny", "allow": false,
		"reasons": [{
			"code": "own_order",
			"permission": "approval.decide",
			"message": "nobody approves their own order",
		}],
	} with input as fx.chk("DE", [fx.m("DE", ["emp_admin"], false)], "approval.decide", _order("DE", "carol", 10, 0))
}
