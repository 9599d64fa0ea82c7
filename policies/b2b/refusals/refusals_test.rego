package b2b.refusals_test

import data.b2b.fixtures_test as fx
import data.b2b.grants
import data.b2b.refusals

_buyer_of(code, org) := refusals.buyer(code, org, grants.entries(code))

_not_associated(org) := {
	"code": "not_associated", "org": org,
	"message": concat("", ["no membership on the path of ", org, " grants anything there"]),
}

# MODEL "Who may do what": an active user in a known org is not refused before the grants.
test_success_subject_or_org_none if {
	refusals.subject_or_org == [] with input as fx.mk("DE", [])
}

# MODEL Entities: an unknown subject is refused first, even in an unknown org.
test_fail_subject_or_org_unknown_subject if {
	inp := object.union(fx.mk("NOWHERE", []), {"subject": {"id": "mallory"}})
	refusals.subject_or_org == [{
		"code": "unknown_subject", "subject": "mallory",
		"message": "subject mallory is not known",
	}] with input as inp
}

# MODEL "A disabled user is refused everywhere".
test_fail_subject_or_org_disabled_user if {
	inp := object.union(fx.mk("DE", []), {"graph": {"user": {"id": "carol", "status": "disabled"}}})
	refusals.subject_or_org == [{
		"code": "user_disabled", "subject": "carol",
		"message": "user carol is disabled",
	}] with input as inp
}

# API Decisions: an unknown acting org is a deny with a reason.
test_fail_subject_or_org_unknown_org if {
	refusals.subject_or_org == [{
		"code": "unknown_org", "org": "NOWHERE",
		"message": "org NOWHERE is not known",
	}] with input as fx.mk("NOWHERE", [])
}

# Known staff in a known org: nothing refused (staff are answered by the caller, never gated by status).
test_success_subject_or_org_staff if {
	refusals.subject_or_org == [] with input as fx.staff("DE", ["store_admin"])
}

# MODEL "Who may do what": a buyer holding the code is not refused.
test_success_buyer_holds_code if {
	_buyer_of("order.place", "DE") == [] with input as fx.mk("DE", [fx.m("DE", ["buyer"], false)])
}

# MODEL "Status": pending (BigCommerce) refuses acting in the org before anything else.
test_fail_buyer_acting_refused if {
	inp := object.union(
		fx.mk("DE", [fx.m("DE", ["buyer"], false)]),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "pending"})}},
	)
	_buyer_of("order.place", "DE") == [{
		"code": "org_pending", "org": "DE", "status": "pending",
		"message": "org DE is pending: acting in it is refused",
	}] with input as inp
}

# MODEL "Status": the gate of the org the action lands in (suspended: no order.place there).
test_fail_buyer_landing_gate if {
	inp := object.union(
		fx.mk("DE", [fx.m("DE", ["org_admin"], true)]),
		{"graph": {"orgs": fx.patch_org("BER", {"status": "suspended"})}},
	)
	_buyer_of("order.place", "BER") == [{
		"code": "org_suspended", "org": "BER", "status": "suspended",
		"message": "org BER is suspended: order.place is refused",
	}] with input as inp
}

# MODEL "Who may do what": no membership on the path grants anything (the gate comes first, then association).
test_fail_buyer_not_associated if {
	_buyer_of("order.place", "DE") == [_not_associated("DE")] with input as fx.mk("DE", [fx.m("FR", ["buyer"], true)])
}

# MODEL "Who may do what": memberships grant something, but not the code (AI Commerce Cloud viewer ordering).
test_fail_buyer_missing_permission if {
	_buyer_of("order.place", "DE") == [{
		"code": "missing_permission", "permission": "order.place", "org": "DE",
		"message": "no role held in DE grants order.place",
	}] with input as fx.mk("DE", [fx.m("DE", ["viewer"], false)])
}

# The code-free steps: association, and the acting refusal before it.
test_success_buyer_any_none if {
	refusals.buyer_any == [] with input as fx.mk("DE", [fx.m("DE", ["viewer"], false)])
}

test_fail_buyer_any_not_associated if {
	refusals.buyer_any == [_not_associated("DE")] with input as fx.mk("DE", [])
}

test_fail_buyer_any_acting_refused_first if {
	inp := object.union(fx.mk("DE", []), {"graph": {"orgs": fx.patch_org("DE", {"status": "disabled"})}})
	refusals.buyer_any == [{
		"code": "org_disabled", "org": "DE", "status": "disabled",
		"message": "org DE is disabled: acting in it is refused",
	}] with input as inp
}

# MODEL Entities, Staff: a staff role that does not cover the code.
test_fail_staff_missing_permission if {
	refusals.staff_missing_permission("order.place") == {
		"code": "missing_permission", "permission": "order.place",
		"message": "no staff role grants order.place",
	}
}
