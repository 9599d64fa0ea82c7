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
	rs[1] == check.decision with input as object.union(fx.mk("DE", [fx.m("DE", ["buyer"], false)]), {"action": "user.manage"})
	rs[3].reasons == [{"code": "unknown_action", "action": "order.explode", "message": "unknown action order.explode"}]
}

# AI Commerce Cloud: a viewer's portal asks for several permissions at once.
test_success_aicommerce_viewer_batch if {
	inp := object.union(fx.mk("DE", [fx.m("DE", ["viewer"], false)]), {"checks": [{"action": "catalog.browse"}, {"action": "price.view"}, {"action": "order.place"}]})
	[r.allow | some r in batch.results] == [true, true, false] with input as inp
}

test_fail_batch_malformed_items_keep_positions if {
	inp := object.union(fx.mk("DE", [fx.m("DE", ["buyer"], false)]), {"checks": ["junk", {}, {"action": "order.place"}]})
	[r.reasons[0].code | some r in batch.results] == ["unknown_action", "unknown_action", "direct_role"] with input as inp
}

test_fail_batch_without_checks if {
	batch.results == [] with input as fx.mk("DE", [])
	batch.results == [] with input as object.union(fx.mk("DE", []), {"checks": "all"})
}

test_fail_batch_unknown_subject_every_item if {
	inp := object.union(fx.mk("DE", []), {"graph": {"user": null}, "checks": [{"action": "order.view"}, {"action": "order.place"}]})
	[r.reasons[0].code | some r in batch.results] == ["unknown_subject", "unknown_subject"] with input as inp
}
