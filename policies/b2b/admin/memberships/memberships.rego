# METADATA
# title: Membership operations
# description: |
#   `membership.put`, `membership.delete` (MODEL Membership, "Administration") - the membership invariants and the
#   self-service guards - self-promotion, assignable roles, escalation over the new and the current roles, the
#   cascade of an inheritable membership, and membership limits.
package b2b.admin.memberships

import data.b2b.admin.facts
import data.b2b.catalog
import data.b2b.grants
import data.b2b.roles
import data.b2b.slice

# METADATA
# title: Put invariants
# description: |
#   MODEL Membership - an existing user, 1 to 5 known roles, valid limits, as `[reason]`; undefined when they hold.
put_invariants := [_membership_invariant]

# The roles of a membership change.
default _change_roles := []

_change_roles := r if {
	r := facts.change.roles
	is_array(r)
}

# MODEL Membership: 1 to 5 known roles (commercetools "up to 5 roles"), valid limits, an existing user.
_membership_invariant := {
	"code": "unknown_user", "user": object.get(facts.change, "user", null),
	"message": "the target user is not known",
} if {
	not is_object(object.get(facts.target, "user", null))
} else := {
	"code": "role_count", "count": count(_change_roles),
	"min": catalog.membershipRoles.min, "max": catalog.membershipRoles.max,
	"message": concat("", [
		"a membership holds ", format_int(catalog.membershipRoles.min, 10),
		" to ", format_int(catalog.membershipRoles.max, 10), " roles",
	]),
} if {
	not _role_count_ok
} else := {
	"code": "unknown_role", "role": key,
	"message": concat("", ["role ", _key_str(key), " is not known"]),
} if {
	key := [k | some k in _change_roles; not slice.role_def(k)][0]
} else := e if {
	e := roles.limit_errors(facts.change, "limits")[0]
}

# commercetools: at least one, up to 5 roles.
_role_count_ok if {
	count(_change_roles) >= catalog.membershipRoles.min
	count(_change_roles) <= catalog.membershipRoles.max
}

# Printable role key.
_key_str(k) := k if is_string(k)

else := "(not a string)"

# METADATA
# title: Put guard
# description: |
#   MODEL "Administration" - nobody raises their own roles; only roles assignable by buyers; no escalation over the
#   new and the current roles, the cascade of an inheritable membership or its limits.
put_guard := {
	"code": "self_promotion", "user": slice.subject_id,
	"message": "nobody changes their own membership",
} if {
	facts.change.user == slice.subject_id
} else := {
	"code": "not_assignable", "role": key,
	"message": concat("", ["role ", key, " is not assignable by buyers"]),
} if {
	key := [k | some k in _change_roles; not roles.assignable(slice.role_def(k))][0]
} else := r if {
	r := _escalations(_change_roles, false)[0]
} else := r if {
	r := _escalations(_current_roles, true)[0]
} else := _cascade_escalation if {
	_change_inheritable
} else := r if {
	r := _limit_escalations[0]
}

# METADATA
# title: Delete guard
# description: MODEL "Administration" - removing a membership needs covering the target's current roles.
delete_guard := _escalations(_current_roles, true)[0]

# MODEL "Administration": the target's current roles at org, to be covered to edit or remove them.
default _current_roles := []

_current_roles := r if {
	r := facts.target.membership.roles
	is_array(r)
}

# MODEL "Administration": no privilege escalation - every permission of every role must be held by the actor in
# `org` at an equal or higher level (commercetools associate roles; BigCommerce permission levels).
_escalations(keys, current) := [{
	"code": "escalation", "role": key, "permission": code, "level": level, "held": _held(code), "current": current,
	"message": concat(
		"",
		[
			_whose(current),
			key,
			" grants ",
			code,
			" at level ",
			format_int(level, 10),
			", above what the actor holds in ",
			slice.org_id,
		],
	),
} |
	some key in keys
	perms := grants.role_permissions(key)
	some code in sort(object.keys(perms))
	level := perms[code]
	_held(code) < level
]

# A membership is inheritable unless the change says `inheritable: false` (API import default true).
_change_inheritable if not facts.change.inheritable == false

# MODEL "Administration": an inheritable membership cascades, in the tree as it is, into the descendants of org reached
# under the path test (MODEL "Who may do what" rule 2); each must be inside the actor's user.manage reach. With level 3
# the reach is that same subtree; with level 2 it is org alone, so the subtree must be known (complete in the slice,
# `slice.subtree.size`) and reach nothing below org (fail closed otherwise).
_cascade_escalation := _cascade_reason(null, "its subtree, which the facts do not show in full") if {
	not grants.max_level("user.manage") == 3
	not _subtree_complete
} else := _cascade_reason(id, id) if {
	# Level 3 reaches exactly the orgs the cascade reaches: only a lower level needs the scan.
	not grants.max_level("user.manage") == 3
	id := _cascade_outside[0]
}

# The orgs an inheritable membership at org would reach today outside the actor's user.manage reach, sorted.
_cascade_outside := sort([id |
	some id, _ in slice.orgs
	slice.reached(id)
	not facts.in_scope("user.manage", id)
])

# The slice holds every org of org's subtree (their count is `slice.subtree.size`, org included).
_subtree_complete if {
	n := slice.raw.subtree.size
	is_number(n)
	count([id | some id, _ in slice.orgs; slice.in_subtree(id)]) == n
}

# README reason escalation with field inheritable (`org`: the first org reached beyond the actor's reach, if known).
_cascade_reason(org, into) := {
	"code": "escalation", "field": "inheritable", "permission": "user.manage", "level": 3, "held": held, "org": org,
	"message": concat("", [
		"an inheritable membership at ", slice.org_id, " cascades into ", into,
		", beyond the actor's user.manage reach (level ", format_int(held, 10), ": ", slice.org_id, " only)",
	]),
} if {
	held := grants.max_level("user.manage")
}

# MODEL "Administration" and "Checkout limits": the membership's limits must not make a role's checkout more permissive
# than the actor's own in org - for each checkout code a role of the change grants, the target's effective limits (the
# role's, overridden by the membership's) must stay within those of one of the actor's grants of that code, per limit:
# a maxOrderTotal at most the actor's; a periodBudget with an amount at most the actor's over a period at least as long.
# A grant without a limit is unlimited (an actor without one may set anything; a target without one exceeds an actor
# with one).
_limit_escalations := [r |
	some code in catalog.checkoutCodes
	actor := [grants.limits(e) | some e in grants.entries(code)]
	some key in _change_roles
	grants.role_permissions(key)[code]
	limits := object.union(grants.role_limits(key), _change_limits)
	some r in _limit_excess(code, key, limits, actor)
]

# The membership's limits as written (absent or null - none; invalid limits are refused before).
default _change_limits := {}

_change_limits := l if {
	l := facts.change.limits
	is_object(l)
}

# The limits exceeding the actor's, as escalation reasons.
_limit_excess(code, key, limits, actor) := array.concat(
	_max_excess(code, key, limits, actor),
	_budget_excess(code, key, limits, actor),
)

_max_excess(code, key, limits, actor) := [] if {
	some a in actor
	_max_covered(limits, a)
} else := [{
	"code": "escalation", "field": "limits.maxOrderTotal", "role": key, "permission": code,
	"value": _max_of(limits), "held": _highest_max(actor),
	"message": concat(
		"",
		["the maxOrderTotal of role ", key, " would exceed the actor's own ", code, " limit in ", slice.org_id],
	),
}]

# An actor grant without a numeric maxOrderTotal is unlimited; else the target's must be a number at most the actor's.
_max_covered(_, a) if _max_of(a) == null

_max_covered(limits, a) if {
	m := _max_of(limits)
	m != null
	m <= _max_of(a)
}

# The actor's highest maxOrderTotal (null when the actor has no grant of the code).
_highest_max(actor) := max(ms) if {
	ms := [_max_of(a) | some a in actor]
	count(ms) > 0
} else := null

_max_of(limits) := m if {
	m := limits.maxOrderTotal
	is_number(m)
} else := null

_budget_excess(code, key, limits, actor) := [] if {
	some a in actor
	_budget_covered(limits, a)
} else := [{
	"code": "escalation", "field": "limits.periodBudget", "role": key, "permission": code,
	"value": _budget_of(limits), "held": sort({a.periodBudget | some a in actor}),
	"message": concat(
		"",
		["the periodBudget of role ", key, " would exceed the actor's own ", code, " budget in ", slice.org_id],
	),
}]

# An actor grant without a numeric periodBudget amount is unlimited; else the target's amount must be a number at most
# the actor's, over a period at least as long (an unknown period counts as the shortest for the target, the longest for
# the actor).
_budget_covered(_, a) if _budget_of(a) == null

_budget_covered(limits, a) if {
	_budget_of(limits).amount <= _budget_of(a).amount
	_period_rank(limits.periodBudget, 0) >= _period_rank(a.periodBudget, 5)
}

# day < week < month < year; `unknown` for a budget without a known period.
_period_rank(budget, unknown) := r if {
	r := {"day": 1, "week": 2, "month": 3, "year": 4}[budget.period]
} else := unknown

_budget_of(limits) := b if {
	b := limits.periodBudget
	is_number(b.amount)
} else := null

# The actor's highest level for a code in org (0 when not held).
_held(code) := grants.max_level(code) if code in grants.codes

else := 0

# Message wording for escalation over current or new roles.
_whose(true) := "the target's current role "

_whose(false) := "role "
