# METADATA
# title: Status gates
# description: |
#   MODEL "Status" - user and org status gates, driven by `data.b2b.catalog.statusGates`
#   (commercetools Inactive, Elastic Path Suspended/Disabled, BigCommerce Pending/Rejected).
package b2b.status

import data.b2b.catalog
import data.b2b.slice

# METADATA
# title: Subject refusal
# description: |
#   The reason a subject is refused before anything else - unknown subject (a missing or mismatching user or staff
#   record) or a disabled user (MODEL "A disabled user is refused everywhere").
subject_refusal := {
	"code": "unknown_subject", "subject": _subject_id,
	"message": concat("", ["subject ", _subject_id, " is not known"]),
} if {
	not slice.user
	not slice.staff
} else := {
	"code": "user_disabled", "subject": _subject_id,
	"message": concat("", ["user ", _subject_id, " is disabled"]),
} if {
	slice.user
	not slice.user.status == "active"
}

# The subject id as given (for reasons).
default _subject_id := ""

_subject_id := id if {
	id := slice.subject_id
	is_string(id)
}

# METADATA
# title: Unknown org
# description: |
#   The reason for an org id missing from the slice (an unknown subject or org is a deny with a reason, API Decisions).
unknown_org(id) := {"code": "unknown_org", "org": id, "message": concat("", ["org ", _str(id), " is not known"])}

# Printable form of a possibly missing id.
_str(x) := x if is_string(x)

else := "(none)"

# METADATA
# title: Org refusal
# description: The acting org is missing from the slice.
org_refusal := unknown_org(slice.org_id) if not slice.acting

# METADATA
# title: Acting refusal
# description: |
#   MODEL "Status" - pending (BigCommerce), rejected (BigCommerce) and disabled (Elastic Path "the account is not in the
#   Disabled state") refuse acting in the org at all.
acting_refusal := _reason(slice.org_id, s, "acting in it is refused") if {
	s := slice.status_of(slice.org_id)
	_gate(s).refuseActing
}

# METADATA
# title: Gate
# description: |
#   MODEL "Status" - the reason the status of org `id` (where the action lands) refuses `code` for buyers, if any.
#   inactive - no transactional code, org.update/user.manage staff only; suspended - no order.place/quote.checkout;
#   pending/rejected/disabled - everything refused. Staff are not gated.
gate(code, id) := r if {
	s := slice.status_of(id)
	r := _refusal(code, id, s, _gate(s))
}

# METADATA
# title: Open status
# description: A status whose gate refuses no code (active) - `gate` is undefined for every code in an org with it.
open(s) if {
	g := _gate(s)
	not g.denyAll
	not g.denyTransactional
	g.deny == []
	g.staffOnly == []
}

# The reason gate `g` (of status `s`) refuses `code` in org `id`, if any.
_refusal(code, id, s, g) := _reason(id, s, "everything is refused") if {
	g.denyAll
} else := _reason(id, s, concat("", ["no new business (", code, " is transactional)"])) if {
	g.denyTransactional
	catalog.permissions[code].transactional
} else := _reason(id, s, concat("", [code, " is refused"])) if {
	code in g.deny
} else := _reason(id, s, concat("", [code, " is reserved to staff"])) if {
	code in g.staffOnly
}

# MODEL "Status" table as data (catalog statusGates); an unknown status is refused like disabled (fail closed).
_gate(s) := g if {
	g := catalog.statusGates[s]
} else := catalog.statusGates.disabled

# Reason codes org_<status> (README "Answers"), org_status_unknown for a status the catalog does not know.
_reason(id, s, why) := {
	"code": concat("_", ["org", s]), "org": id, "status": s,
	"message": concat("", ["org ", id, " is ", s, ": ", why]),
} if {
	catalog.statusGates[s]
} else := {
	"code": "org_status_unknown", "org": id, "status": s,
	"message": concat("", ["org ", id, " has an unknown status ", s, ": ", why]),
}

# METADATA
# title: Readable
# description: MODEL "Status"/Orders - an org whose status still allows reading orders (an order there is visible).
readable(id) if not gate("order.view", id)

# METADATA
# title: Readable status
# description: |
#   `readable` for a status rather than an org - the order scope tests every org of a subtree against a set computed
#   once per evaluation (a status the catalog does not know is gated like disabled, as in `gate`).
# scope: document
readable_status(s) if s in readable_statuses

readable_status(s) if {
	not catalog.statusGates[s]
	not _refusal("order.view", "", s, _gate(s))
}

# METADATA
# title: Readable statuses
# description: The catalog's statuses whose gate lets buyers read orders, once per evaluation.
readable_statuses contains s if {
	some s, g in catalog.statusGates
	not _refusal("order.view", "", s, g)
}
