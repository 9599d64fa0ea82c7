# METADATA
# title: Refusals
# description: |
#   The refusal chain every decision walks, written once (README "Answers"; MODEL "Who may do what", "Status").
#   In order - unknown subject or disabled user, unknown acting org (`subject_or_org`); then staff, whom the caller
#   answers (org status never limits staff); then, for a buyer, the acting org refusing acting in it, the status gate of
#   the org the action lands in, no membership granting anything, no role granting the code (`buyer`). Each step is
#   `[]` or `[reason]` (the first refusal wins), so the complete rules are always defined and computed once per
#   evaluation, shared by every item of a batch.
package b2b.refusals

import data.b2b.grants
import data.b2b.slice
import data.b2b.status

# METADATA
# title: Subject or org refusal
# description: The refusal of the subject (unknown, disabled) or of the acting org (unknown), as `[]` or `[reason]`.
# scope: document
default subject_or_org := []

subject_or_org := [r] if {
	r := status.subject_refusal
} else := [r] if {
	r := status.org_refusal
}

# METADATA
# title: Buyer refusal
# description: |
#   The refusal of a buyer's `code` in the acting org, landing in org `landing`, given the buyer's grants of the code
#   `es` (`grants.entries(code)`) - acting refused by the acting org's status, the landing org's status gate, not
#   associated, missing permission - as `[]` or `[reason]`.
buyer(code, landing, es) := acting if {
	count(acting) > 0
} else := [r] if {
	r := _gate(code, landing)
} else := association if {
	count(association) > 0
} else := [missing_permission(code)] if {
	count(es) == 0
} else := []

# METADATA
# title: Buyer refusal for any code
# description: |
#   The steps of `buyer` that do not depend on a code (an answer listing every code - acting refused, not
#   associated), as `[]` or `[reason]`.
buyer_any := acting if {
	count(acting) > 0
} else := association

# METADATA
# title: Acting refusal
# description: MODEL "Status" - the acting org's status refusing acting in it (pending, rejected, disabled), or none.
# scope: document
default acting := []

acting := [r] if {
	r := status.acting_refusal
}

# METADATA
# title: Association refusal
# description: MODEL "Who may do what" - `[not_associated]` when no membership on the acting path grants anything there.
association := [] if {
	grants.associated
} else := [not_associated]

# MODEL "Status": the gate of the org the action lands in; an acting org whose status refuses nothing (active) is
# known once per evaluation.
_gate(code, id) := status.gate(code, id) if {
	not _open_at(id)
}

_open_at(id) if {
	id == slice.org_id
	_acting_open
}

default _acting_open := false

_acting_open if {
	status.open(slice.status_of(slice.org_id))
}

# METADATA
# title: Not associated
# description: MODEL "Who may do what" - no membership on the acting org's path grants anything there.
not_associated := {
	"code": "not_associated", "org": slice.org_id,
	"message": concat("", ["no membership on the path of ", slice.org_id, " grants anything there"]),
}

# METADATA
# title: Missing permission
# description: |
#   MODEL "Who may do what" - memberships grant something here, but no role grants `code` (AI Commerce Cloud viewer
#   ordering).
missing_permission(code) := {
	"code": "missing_permission", "permission": code, "org": slice.org_id,
	"message": concat("", ["no role held in ", slice.org_id, " grants ", code]),
}

# METADATA
# title: Staff missing permission
# description: MODEL Entities, Staff - the staff subject's roles do not cover `code`.
staff_missing_permission(code) := {
	"code": "missing_permission", "permission": code,
	"message": concat("", ["no staff role grants ", code]),
}
