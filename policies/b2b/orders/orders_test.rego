package b2b.orders_test

import data.b2b.fixtures_test as fx
import data.b2b.orders

_direct(role, org, level) := {
	"code": "direct_role", "role": role, "org": org, "permission": "order.view", "level": level,
	"message": concat("", ["role ", role, " held at ", org]),
}

# AI Commerce Cloud: the organization admin sees all orders linked to the company (and, in a tree, its subsidiaries).
test_success_aicommerce_org_admin_sees_all_orders if {
	orders.scope == {
		"kind": "conditional",
		"scope": {"orgs": ["ACME", "BER", "DE", "EU", "FR", "US"], "ownOrgs": []},
		"reasons": [_direct("org_admin", "ACME", 3)],
	} with input as fx.mk("ACME", [fx.m("ACME", ["org_admin"], true)])
}

# Emporix "My Orders": without the legal-entity read scope, only one's own orders.
test_success_emporix_buyer_sees_own_orders_only if {
	orders.scope == {
		"kind": "conditional",
		"scope": {"orgs": [], "ownOrgs": ["DE"]},
		"reasons": [_direct("emp_buyer", "DE", 1)],
	} with input as fx.mk("DE", [fx.m("DE", ["emp_buyer"], false)])
}

# Emporix: the customer group with the read scope for the legal entity sees the company's orders.
test_success_emporix_shared_orders_legal_entity if {
	orders.scope == {
		"kind": "conditional",
		"scope": {"orgs": ["DE"], "ownOrgs": []},
		"reasons": [_direct("emp_shared_orders", "DE", 2)],
	} with input as fx.mk("DE", [fx.m("DE", ["emp_buyer", "emp_shared_orders"], false)])
}

# Elastic Path: account purchases include any child account in the subtree; not inherited but reached (level 3).
test_success_elastic_path_subtree_purchases if {
	orders.scope.scope == {
		"orgs": ["BER", "DE", "EU", "FR"],
		"ownOrgs": [],
	} with input as fx.mk("EU", [fx.m("EU", ["ep_buyer"], false)])
}

test_success_elastic_path_child_account_via_level3_reach if {
	orders.scope == {
		"kind": "conditional",
		"scope": {"orgs": ["BER", "DE"], "ownOrgs": []},
		"reasons": [{
			"code": "level3_reach", "role": "ep_buyer", "org": "EU", "permission": "order.view", "level": 3,
			"message": "order.view at level 3 of role ep_buyer at EU reaches DE",
		}],
	} with input as fx.mk("DE", [fx.m("EU", ["ep_buyer"], false)])
}

# Status gates on each org: orders of a pending or disabled org are not visible; inactive ones are.
test_success_bigcommerce_pending_subsidiary_hidden if {
	orgs := object.union(fx.patch_org("DE", {"status": "pending"}), {"FR": {"status": "inactive"}})
	orders.scope.scope.orgs == ["BER", "EU", "FR"] with input as object.union(
		fx.mk("EU", [fx.m("EU", ["org_admin"], true)]),
		{"graph": {"orgs": orgs}},
	)
}

test_fail_bigcommerce_pending_company_denied if {
	orders.scope == {
		"kind": "always_denied",
		"scope": {"orgs": [], "ownOrgs": []},
		"reasons": [{
			"code": "org_pending",
			"org": "DE",
			"status": "pending",
			"message": "org DE is pending: acting in it is refused",
		}],
	} with input as object.union(
		fx.mk("DE", [fx.m("DE", ["bc_admin"], false)]),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "pending"})}},
	)
}

test_fail_commercetools_explicit_subunit_hidden if {
	orders.scope.scope.orgs == ["EU", "FR"] with input as object.union(
		fx.mk("EU", [fx.m("EU", ["org_admin"], true)]),
		{"graph": {"orgs": fx.patch_org("DE", {"inheritRoles": false})}},
	)
}

test_fail_aicommerce_viewer_sees_no_orders if {
	orders.scope == {
		"kind": "always_denied",
		"scope": {"orgs": [], "ownOrgs": []},
		"reasons": [{
			"code": "missing_permission",
			"permission": "order.view",
			"org": "DE",
			"message": "no role held in DE grants order.view",
		}],
	} with input as fx.mk("DE", [fx.m("DE", ["viewer"], false)])
}

test_fail_not_associated if {
	orders.scope.reasons[0].code == "not_associated" with input as fx.mk("DE", [])
	orders.scope.kind == "always_denied" with input as fx.mk("DE", [])
}

test_fail_unknown_subject_and_org if {
	orders.scope.reasons[0].code == "unknown_subject" with input as object.union(
		fx.mk("DE", []),
		{"graph": {"user": null}},
	)
	orders.scope.reasons[0].code == "unknown_org" with input as fx.mk("XX", [])
}

# The fixture's slice holds another tree (GLOBEX) too: staff see the acting tree only, whatever the status.
test_success_staff_sees_the_acting_tree if {
	orders.scope == {
		"kind": "conditional",
		"scope": {"orgs": ["ACME", "BER", "DE", "EU", "FR", "US"], "ownOrgs": []},
		"reasons": [{"code": "staff", "role": "store_support", "message": "staff role store_support"}],
	} with input as fx.staff("DE", ["store_support"])
}

test_success_staff_sees_orgs_whatever_their_status if {
	orders.scope.scope.orgs == ["ACME", "BER", "DE", "EU", "FR", "US"] with input as object.union(
		fx.staff("DE", ["store_admin"]),
		{"graph": {"orgs": fx.patch_org("US", {"status": "suspended"})}},
	)
}

test_fail_staff_without_covering_role if {
	orders.scope.kind == "always_denied" with input as fx.staff("DE", ["ghost"])
}

# The gates are data: a store status that hides orders without refusing acting.
test_fail_store_status_hiding_orders if {
	gates := object.union(
		data.b2b.catalog.statusGates,
		{"archived": {
			"refuseActing": false,
			"denyAll": false,
			"denyTransactional": true,
			"deny": ["order.view"],
			"staffOnly": [],
		}},
	)
	inp := object.union(
		fx.mk("DE", [fx.m("DE", ["org_admin"], true)]),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "archived"})}},
	)
	orders.scope.reasons == [{
		"code": "org_archived",
		"org": "DE",
		"status": "archived",
		"message": "org DE is archived: order.view is refused",
	}] with input as inp
		with data.b2b.catalog.statusGates as gates
}

# Org records as the store may send them: a status that is not a string reads as active, one the catalog does not know
# is gated like disabled; an opt-out below the acting org hides its subtree.
test_success_subtree_status_values_and_opt_outs if {
	orgs := object.union(fx.orgs, {
		"DE": {"status": null},
		"BER": {"status": 7},
		"FR": {"status": "frozen"},
		"US": {"inheritRoles": false},
	})
	inp := object.union(fx.mk("ACME", [fx.m("ACME", ["org_admin"], true)]), {"graph": {"orgs": orgs}})
	orders.scope.scope.orgs == ["ACME", "BER", "DE", "EU"] with input as inp
}

# The scope's sort: a long list is sorted in pivot ranges, the same list as `sort`.
_ids(n) := [concat("", ["org-", format_int((i * 7919) % 1009, 16), "-", format_int(i, 10)]) |
	some i in numbers.range(1, n)
]

test_success_sorted_ids_same_as_sort if {
	every n in [0, 1, 64, 65, 100, 333] {
		orders.sorted_ids(_ids(n)) == sort(_ids(n))
	}
	orders.sorted_ids(array.reverse(sort(_ids(200)))) == sort(_ids(200))
	orders.sorted_ids(array.concat(_ids(80), _ids(80))) == sort(array.concat(_ids(80), _ids(80)))
}

test_success_sorted_ids_with_repeated_sample if {
	ids := [x | some i in numbers.range(1, 100); x := ["b", "a", "c"][i % 3]]
	orders.sorted_ids(ids) == sort(ids)
}
