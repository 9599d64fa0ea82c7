package b2b.status_test

import data.b2b.fixtures_test as fx
import data.b2b.status

_with_status(org, s) := object.union(fx.mk(org, []), {"graph": {"orgs": fx.patch_org(org, {"status": s})}})

test_success_active_user_not_refused if {
	not status.subject_refusal with input as fx.mk("DE", [])
	not status.subject_refusal with input as fx.staff("DE", ["store_admin"])
	not status.org_refusal with input as fx.mk("DE", [])
}

test_fail_unknown_subject if {
	status.subject_refusal == {
		"code": "unknown_subject",
		"subject": "carol",
		"message": "subject carol is not known",
	} with input as object.union(fx.mk("DE", []), {"graph": {"user": null}})
	status.subject_refusal.code == "unknown_subject" with input as object.union(
		fx.staff("DE", []),
		{"graph": {"staff": null}},
	)
	status.subject_refusal == {
		"code": "unknown_subject",
		"subject": "",
		"message": "subject  is not known",
	} with input as {"org": "DE"}
}

# MODEL Status: a disabled user is refused everywhere (Elastic Path user status Disabled).
test_fail_user_disabled if {
	status.subject_refusal == {
		"code": "user_disabled",
		"subject": "carol",
		"message": "user carol is disabled",
	} with input as object.union(fx.mk("DE", []), {"graph": {"user": {"status": "disabled"}}})
}

test_fail_unknown_org if {
	status.org_refusal == {
		"code": "unknown_org",
		"org": "XX",
		"message": "org XX is not known",
	} with input as fx.mk("XX", [])
	status.unknown_org(null) == {"code": "unknown_org", "org": null, "message": "org (none) is not known"}
}

# commercetools Inactive: no new carts, orders or quotes; org.update and user.manage staff only; reads allowed.
test_fail_commercetools_inactive_unit_no_new_business if {
	status.gate("order.place", "DE") == {
		"code": "org_inactive", "org": "DE", "status": "inactive",
		"message": "org DE is inactive: no new business (order.place is transactional)",
	} with input as _with_status("DE", "inactive")
	status.gate("cart.create", "DE").code == "org_inactive" with input as _with_status("DE", "inactive")
	status.gate("quote.create", "DE").code == "org_inactive" with input as _with_status("DE", "inactive")
	status.gate("user.manage", "DE") == {
		"code": "org_inactive", "org": "DE", "status": "inactive",
		"message": "org DE is inactive: user.manage is reserved to staff",
	} with input as _with_status("DE", "inactive")
}

test_success_commercetools_inactive_unit_reads_allowed if {
	not status.gate("order.view", "DE") with input as _with_status("DE", "inactive")
	not status.gate("list.manage", "DE") with input as _with_status("DE", "inactive")
	status.readable("DE") with input as _with_status("DE", "inactive")
	not status.acting_refusal with input as _with_status("DE", "inactive")
}

# Elastic Path Suspended: browsing and carts allowed, order.place and quote.checkout refused.
test_fail_elastic_path_suspended_no_checkout if {
	status.gate("order.place", "DE") == {
		"code": "org_suspended", "org": "DE", "status": "suspended",
		"message": "org DE is suspended: order.place is refused",
	} with input as _with_status("DE", "suspended")
	status.gate("quote.checkout", "DE").code == "org_suspended" with input as _with_status("DE", "suspended")
}

test_success_elastic_path_suspended_browse_and_cart if {
	not status.gate("catalog.browse", "DE") with input as _with_status("DE", "suspended")
	not status.gate("cart.create", "DE") with input as _with_status("DE", "suspended")
}

# BigCommerce Pending: everything refused until approved; Rejected and Elastic Path Disabled: acting refused.
test_fail_bigcommerce_pending_company_denied if {
	status.acting_refusal == {
		"code": "org_pending", "org": "DE", "status": "pending",
		"message": "org DE is pending: acting in it is refused",
	} with input as _with_status("DE", "pending")
	status.gate("catalog.browse", "DE").code == "org_pending" with input as _with_status("DE", "pending")
	not status.readable("DE") with input as _with_status("DE", "pending")
}

test_fail_bigcommerce_rejected_and_elastic_path_disabled if {
	status.acting_refusal.code == "org_rejected" with input as _with_status("DE", "rejected")
	status.acting_refusal.code == "org_disabled" with input as _with_status("DE", "disabled")
}

test_fail_unknown_status_fails_closed if {
	status.acting_refusal == {
		"code": "org_status_unknown", "org": "DE", "status": "frozen",
		"message": "org DE has an unknown status frozen: acting in it is refused",
	} with input as _with_status("DE", "frozen")
}

test_success_active_gate_open if {
	not status.gate("order.place", "DE") with input as fx.mk("DE", [])
	not status.acting_refusal with input as fx.mk("DE", [])
}

test_success_readable_statuses if {
	status.readable_statuses == {"active", "inactive", "suspended"}
	status.readable_status("inactive")
	not status.readable_status("pending")
	not status.readable_status("frozen")
}

# An unknown status reads like disabled, whatever the store makes of disabled.
test_success_unknown_status_readable_like_disabled if {
	open := {"refuseActing": true, "denyAll": false, "denyTransactional": true, "deny": [], "staffOnly": []}
	status.readable_status("frozen") with data.b2b.catalog.statusGates.disabled as open
}

test_success_open_statuses if {
	status.open("active")
	not status.open("inactive")
	not status.open("suspended")
	not status.open("frozen")
}
