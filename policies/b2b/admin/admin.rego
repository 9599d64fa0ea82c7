# METADATA
# title: Administration
# description: |
#   Entrypoint `b2b/admin/decision` - self-service and staff administration (MODEL "Administration"; README
#   "Admin decisions"). `input.operation` names the operation, `input.org` is where it lands and where the actor's
#   grants are evaluated, `input.change` is the change, `slice.target`/`subtree`/`targetTree` carry facts about the
#   target. This package orders the refusals and dispatches to one package per operation group - `orgs`,
#   `memberships`, `users`, `roles` - which share the admin facts of `facts`.
package b2b.admin

import data.b2b.admin.facts
import data.b2b.admin.memberships
import data.b2b.admin.orgs
import data.b2b.admin.roles as role_admin
import data.b2b.admin.users
import data.b2b.catalog
import data.b2b.grants
import data.b2b.refusals
import data.b2b.slice
import data.b2b.status

# METADATA
# title: Decision
# description: |
#   {decision allow|deny, allow, reasons, effects}. Refusals in a fixed order - unknown operation, unknown or disabled
#   actor, unknown org, staff roles / staff-only operations, org status, grants, tree invariants and model rules
#   (role count, unknown role, limits, role validation), then the self-service guards (self-promotion,
#   assignableByBuyers, escalation over the new and the current roles, scope over the target user's orgs).
# entrypoint: true
decision := _deny([{
	"code": "unknown_action", "operation": _op,
	"message": concat("", ["unknown operation ", _op]),
}]) if {
	not _op in catalog.adminOperations
} else := _deny(_subject_or_org) if {
	count(_subject_or_org) > 0
} else := _deny([status.unknown_org(null)]) if {
	_op in _org_operations
	not facts.has_org
} else := _staff(_op) if {
	slice.is_staff
} else := _buyer

# README admin: input.operation.
default _op := ""

_op := o if {
	o := input.operation
	is_string(o)
}

# Operations that land in an existing org (README operations table).
_org_operations := {
	"org.update",
	"org.reparent",
	"org.view",
	"org.tree",
	"membership.put",
	"membership.delete",
	"membership.list",
}

# MODEL "Administration": the code a buyer needs in `org`, at level 2 (that org) or 3 (and its subtree), per operation.
_buyer_code := {
	"org.create": "org.create_child",
	"org.update": "org.update",
	"org.view": "org.view",
	"org.tree": "org.view_subsidiaries",
	"membership.put": "user.manage",
	"membership.delete": "user.manage",
	"membership.list": "user.view",
	"user.put": "user.manage",
	"user.view": "user.view",
	"role.list": "role.view",
}

# MODEL "Administration": the subject's refusal (`refusals`); an unknown org refuses only an operation that names an
# org (a string `org`; else the operation's own rules apply).
default _subject_or_org := []

_subject_or_org := rs if {
	rs := refusals.subject_or_org
	count(rs) > 0
	_refusal_applies(rs[0])
}

_refusal_applies(r) if r.code != "unknown_org"

_refusal_applies(_) if facts.has_org

# MODEL Entities, Staff: store_admin does everything (AI Commerce Cloud store administrator creates organizations and
# their first admin); store_support only reads. Tree invariants hold for staff too; org status does not limit staff.
_staff(op) := _deny([{
	"code": "missing_permission", "operation": op,
	"message": concat("", ["no staff role covers ", op]),
}]) if {
	not grants.staff_operation_role(op)
} else := _deny(rs) if {
	rs := _invariants(op)
} else := _allow([grants.staff_reason(grants.staff_operation_role(op))], _effects(op, true))

# MODEL "Administration" (self-service): the operation's code held in org, org status gates, invariants, then guards.
# AI Commerce Cloud: organization admins add, edit and remove their users; staff-only operations refused.
_buyer := _deny([facts.staff_only(_op, "")]) if {
	not _buyer_code[_op]
} else := _deny([facts.staff_only(_op, "")]) if {
	not facts.has_org
} else := _allow(
	[{
		"code": "self", "user": slice.subject_id,
		"message": "a user may view itself",
	}],
	{"visibleOrgs": sort(facts.target_orgs), "accountEditable": users.account_editable, "emailVisible": true},
) if {
	_op == "user.view"
	facts.change.id == slice.subject_id
} else := _deny(rs) if {
	rs := refusals.buyer(_buyer_code[_op], slice.org_id, _buyer_entries)
	count(rs) > 0
} else := _deny(rs) if {
	rs := _invariants(_op)
} else := _deny([r]) if {
	r := _guard(_op)
} else := _allow([grants.how_entry(min(_buyer_entries), _buyer_code[_op])], _effects(_op, false))

# The actor's grants of the operation's code in org (entry tuples, the smallest is the best).
_buyer_entries := grants.entries(_buyer_code[_op])

# MODEL Entities and "Administration": the invariants of each operation (staff and buyers), undefined when they hold.
_invariants("org.create") := orgs.create_invariants

_invariants("org.reparent") := orgs.reparent_invariants

_invariants("membership.put") := memberships.put_invariants

_invariants("role.put") := role_admin.put_invariants

# MODEL "Administration": the self-service guard of each operation (buyers only), undefined when it passes.
_guard("org.create") := orgs.create_guard

_guard("org.update") := orgs.update_guard

_guard("membership.put") := memberships.put_guard

_guard("membership.delete") := memberships.delete_guard

_guard("user.put") := users.put_guard

_guard("user.view") := users.view_guard

# README admin answer: what the policy decided beyond yes/no (`staff`: the actor is staff); `{}` for the others.
default _effects(_, _) := {}

_effects("org.create", staff) := orgs.create_effects(staff)

_effects("org.tree", staff) := orgs.tree_effects(staff)

_effects("user.view", staff) := users.view_effects(staff)

_effects("role.put", _) := role_admin.put_effects

# README admin answer: effects are empty on deny, and `error` names how the refusal is reported.
_deny(reasons) := {"decision": "deny", "allow": false, "reasons": reasons, "effects": {}, "error": _error(reasons)}

# README admin answer `error`: the first class of the catalog's `adminErrorClasses` that the reasons call for.
_error(reasons) := [c | some c in catalog.adminErrorClasses; _error_applies(c, reasons)][0]

# MODEL Entities: re-parenting into one's own subtree conflicts with the tree as it is.
_error_applies("conflict", reasons) if {
	some r in reasons
	r.code == "cycle"
}

# MODEL Entities: a tree beyond its depth or size limit is well-formed input the model refuses.
_error_applies("unprocessable", reasons) if {
	some r in reasons
	r.code in {"depth_limit", "size_limit"}
}

# README "Admin decisions": staff see every org, so an org unknown to staff does not exist (a buyer is only refused).
_error_applies("not_found", reasons) if {
	slice.is_staff
	some r in reasons
	r.code == "unknown_org"
}

# README "Admin decisions": every other refusal.
_error_applies("forbidden", _)

# README admin answer.
_allow(reasons, effects) := {"decision": "allow", "allow": true, "reasons": reasons, "effects": effects}
