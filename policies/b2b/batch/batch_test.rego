package b2b.batch_test

import data.b2b.batch
import data.b2b.check
import data.b2b.fixtures_test as fx

# One decision per check, in order, through the same decision function as b2b/check/decision.
test_success_batch_in_order_same_as_check if {
	inp := object.union(fx.mk("DE", [fx.m("DE", ["buyer"], false)]), {"checks": [
		{"action": "order.place"},
		{"action": "user.manage"},
		{"action": "get_orders", "resource": {"org": "DE", "buyer": "carol"}},
		{"action": "order.explode"},
	]})
	rs := batch.results with input as inp
	count(rs) == 4
	[r.decision | some r in rs] == ["allow", "deny", "allow", "deny"]
	rs[1] == check.decision with input as object.union(
		fx.mk("DE", [fx.m("DE", ["buyer"], false)]),
		{"action": "user.manage"},
	)
	rs[3].reasons == [{"code": "unknown_action", "action": "order.explode", "message": "unknown action order.explode"}]
}

# AI Commerce Cloud: a viewer's portal asks for several permissions at once.
test_success_aicommerce_viewer_batch if {
	inp := object.union(
		fx.mk("DE", [fx.m("DE", ["viewer"], false)]),
		{"checks": [{"action": "catalog.browse"}, {"action": "price.view"}, {"action": "order.place"}]},
	)
	[r.allow | some r in batch.results] == [true, true, false] with input as inp
}

test_fail_batch_malformed_items_keep_positions if {
	inp := object.union(
		fx.mk("DE", [fx.m("DE", ["buyer"], false)]),
		{"checks": ["junk", {}, {"action": "order.place"}]},
	)
	[r.reasons[0].code | some r in batch.results] == [
		"unknown_action",
		"unknown_action",
		"direct_role",
	] with input as inp
}

test_fail_batch_without_checks if {
	batch.results == [] with input as fx.mk("DE", [])
	batch.results == [] with input as object.union(fx.mk("DE", []), {"checks": "all"})
}

test_fail_batch_unknown_subject_every_item if {
	inp := object.union(
		fx.mk("DE", []),
		{"graph": {"user": null}, "checks": [{"action": "order.view"}, {"action": "order.place"}]},
	)
	[r.reasons[0].code | some r in batch.results] == ["unknown_subject", "unknown_subject"] with input as inp
}

# Items asking the same thing share one decision (`check.item_key`); every answer equals the single check's, whatever
# the resource (own, another buyer's, below the acting org, in another tree, unknown), limits and checkout mode.
_limited := {
	"subject": {"id": "carol"},
	"org": "EU",
	"graph": {
		"user": {"id": "carol", "status": "active"},
		"tree": {"root": "ACME", "size": 6, "overLimit": "approval"},
		"orgs": fx.orgs,
		"memberships": [
			{
				"org": "ACME",
				"roles": ["org_admin"],
				"inheritable": true,
				"limits": {"maxOrderTotal": 500, "periodBudget": {"amount": 1000, "period": "month"}},
			},
			{"org": "EU", "roles": ["emp_requester", "ep_buyer"], "inheritable": false},
		],
	},
}

_items := [
	{"action": "order.place", "resource": {"org": "EU", "buyer": "carol", "attributes": {"total": 100}}},
	{"action": "order.place", "resource": {"org": "EU", "buyer": "carol", "attributes": {"total": 600}}},
	{
		"action": "order.place",
		"resource": {"org": "EU", "buyer": "carol", "attributes": {"total": 100, "spentInPeriod": 950}},
	},
	{"action": "purchase_enable", "resource": {"org": "DE", "owner": "carol", "attributes": {"total": 100}}},
	{"action": "order.place", "resource": {"org": "EU", "buyer": "carol", "attributes": "none"}},
	{"action": "order.place"},
	{"action": "order.view", "resource": {"org": "BER", "buyer": "dave"}},
	{"action": "order.view", "resource": {"org": "BER", "buyer": "erin"}},
	{"action": "order.view", "resource": {"org": "GLOBEX"}},
	{"action": "order.view", "resource": {"org": "NOPE"}},
	{"action": "order.view", "resource": {"org": "US"}},
	{"action": "order.view", "resource": {"buyer": null, "owner": "carol"}},
	{"action": "approval.decide", "resource": {"org": "DE", "buyer": "carol"}},
	{"action": "approval.decide", "resource": {"org": "DE", "buyer": "dave"}},
	{"action": "quote.checkout", "resource": {"org": "EU", "buyer": "carol", "attributes": {"total": 700}}},
	{"action": "get_orders"},
	{"action": "order.explode", "resource": {"org": "EU"}},
]

test_success_batch_equals_single_checks if {
	rs := batch.results with input as object.union(_limited, {"checks": _items})
	count(rs) == count(_items)
	every i, item in _items {
		rs[i] == check.decision with input as object.union(_limited, item)
	}
	{r.decision | some r in rs} == {"allow", "approval_required", "deny"}
}

test_success_batch_keys_share_decisions if {
	keys := [check.item_key(item) | some item in _items] with input as _limited
	keys[6] == keys[7]
	keys[0] != keys[1]
	keys[11] == ["order.view", null, false, true, true, 0, 0]
	keys[15] == ["get_orders"]
}

# Without any limit among the subject's grants, an order's figures do not matter: one decision for many orders.
test_success_batch_keys_without_limits_ignore_figures if {
	inp := fx.mk("DE", [fx.m("DE", ["buyer"], false)])
	k1 := check.item_key({
		"action": "order.place",
		"resource": {"org": "DE", "buyer": "carol", "attributes": {"total": 10}},
	}) with input as inp
	k2 := check.item_key({
		"action": "order.place",
		"resource": {"org": "DE", "buyer": "carol", "attributes": {"total": 99999}},
	}) with input as inp
	k1 == k2
	k1 == ["order.place", "DE", true, false, false]
}

# A role's own limit makes the figures matter.
test_success_batch_keys_with_role_limits if {
	inp := object.union(
		fx.mk("DE", [fx.m("DE", ["capped"], false)]),
		{"graph": {"roles": {"capped": {
			"key": "capped",
			"permissions": [{"code": "order.place", "level": 2}],
			"limits": {"periodBudget": {"amount": 5, "period": "day"}},
		}}}},
	)
	k := check.item_key({
		"action": "order.place",
		"resource": {"org": "DE", "attributes": {"total": 10}},
	}) with input as inp
	k == ["order.place", "DE", false, false, true, 10, 0]
	[r.reasons[1].code | some r in batch.results] == ["over_limit"] with input as object.union(
		inp,
		{"checks": [{"action": "order.place", "resource": {"org": "DE", "attributes": {"total": 10}}}]},
	)
}

test_fail_batch_without_subject_id if {
	inp := {
		"org": "DE",
		"graph": {"orgs": fx.orgs},
		"checks": [{"action": "order.view", "resource": {"org": "DE", "buyer": "carol"}}, {"action": "order.view"}],
	}
	[r.reasons[0] | some r in batch.results] == [
		{"code": "unknown_subject", "subject": "", "message": "subject  is not known"},
		{"code": "unknown_subject", "subject": "", "message": "subject  is not known"},
	] with input as inp
}
