# METADATA
# title: Administration
# description: |
#   Entrypoint `b2b/admin/decision` - self-service and staff administration (MODEL "Administration"; README
#   "Admin decisions"). `input.operation` names the operation, `input.org` is where it lands and where the actor's
#   grants are evaluated, `input.change` is the change, `graph.target`/`subtree`/`targetTree` carry facts about the target.
package b2b.admin

import data.b2b.catalog
import data.b2b.grants
import data.b2b.graph
import data.b2b.refusals
import data.b2b.roles
import data.b2b.status

# METADATA
# title: Decision
# description: |
#   {decision allow|deny, allow, reasons, effects}. Refusals in a fixed order - unknown operation, unknown or disabled
#   actor, unknown org, staff roles / staff-only operations, org status, grants, tree invariants and model rules
#   (role count, unknown role, limits, role validation), then the self-service guards (self-promotion,
#   assignableByBuyers, escalation over the new and the current roles, scope over the target user's orgs).
# entrypoint: true
decision := _decide(_op)

# README admin: input.operation.
_op := o if {
	o := input.operation
	is_string(o)
} else := ""

# README admin: input.change.
_change := c if {
	c := input.change
	is_object(c)
} else := {}

# README admin: graph.target (the target user and its current membership or orgs).
_target := t if {
	t := graph.graph.target
	is_object(t)
} else := {}

# Operations such as a top-level org.create come without an org.
_has_org if is_string(graph.org_id)

# Operations that land in an existing org (README operations table).
_org_operations := {"org.update", "org.reparent", "org.view", "org.tree", "membership.put", "membership.delete", "membership.list"}

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

# MODEL "Administration": refusals in a fixed order, then staff or buyer rules.
_decide(op) := _deny([{
	"code": "unknown_action", "operation": op,
	"message": concat("", ["unknown operation ", op]),
}]) if {
	not op in catalog.adminOperations
} else := _deny(rs) if {
	rs := refusals.subject_or_org
	count(rs) > 0
	_refusal_applies(rs[0])
} else := _deny([status.unknown_org(null)]) if {
	op in _org_operations
	not _has_org
} else := _staff(op) if {
	graph.is_staff
} else := _buyer(op)

# An unknown org refuses only an operation that names an org (a string `org`; else the operation's own rules apply).
_refusal_applies(r) if r.code != "unknown_org"

_refusal_applies(_) if _has_org

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
_buyer(op) := _deny([_staff_only(op, "")]) if {
	not _buyer_code[op]
} else := _deny([_staff_only(op, "")]) if {
	not _has_org
} else := _allow(
	[{
		"code": "self", "user": graph.subject_id,
		"message": "a user may view itself",
	}],
	{"visibleOrgs": sort(_target_orgs), "accountEditable": _account_editable, "emailVisible": true},
) if {
	op == "user.view"
	_change.id == graph.subject_id
} else := _deny(rs) if {
	rs := refusals.buyer(_buyer_code[op], graph.org_id, _buyer_entries)
	count(rs) > 0
} else := _deny(rs) if {
	rs := _invariants(op)
} else := _deny([r]) if {
	r := _guard(op)
} else := _allow([grants.how_entry(min(_buyer_entries), _buyer_code[op])], _effects(op, false))

# The actor's grants of the operation's code in org (entry tuples, the smallest is the best).
_buyer_entries := grants.entries(_buyer_code[_op])

# README reason staff_only, optionally naming the field reserved to staff.
_staff_only(op, field) := {
	"code": "staff_only", "operation": op,
	"message": concat("", [op, " is reserved to staff"]),
} if {
	field == ""
} else := {
	"code": "staff_only", "operation": op, "field": field,
	"message": concat("", ["changing ", field, " is reserved to staff"]),
}

# ---------------------------------------------------------------------------------------------------------------
# Invariants (staff and buyers)

# MODEL Entities: at most maxDepth levels and maxOrgs orgs per tree (BigCommerce 5 layers, 500 companies).
_invariants(op) := [_parent_mismatch] if {
	op == "org.create"
	not _parent_matches
} else := [r] if {
	op == "org.create"
	_has_org
	r := _create_limits
} else := [r] if {
	op == "org.reparent"
	r := _reparent_invariant
} else := [r] if {
	op == "membership.put"
	r := _membership_invariant
} else := v.errors if {
	op == "role.put"
	v := roles.validate(_change)
	not v.valid
}

# Store settings (maxDepth, maxOrgs, buyerOrgStatus, buyerOrgRole).
_settings := graph.settings

# A numeric fact, or its default.
_number(x, d) := x if is_number(x)

else := d

# README admin: tree.size of the parent's tree.
_tree_size := n if {
	n := graph.graph.tree.size
	is_number(n)
} else := 0

# MODEL Entities: at most maxDepth levels (BigCommerce 5 layers).
_depth_reason(depth) := {
	"code": "depth_limit", "depth": depth, "max": _settings.maxDepth,
	"message": concat("", ["a tree has at most ", format_int(_settings.maxDepth, 10), " levels"]),
}

# MODEL Entities: at most maxOrgs orgs (BigCommerce 500 companies).
_size_reason(size) := {
	"code": "size_limit", "size": size, "max": _settings.maxOrgs,
	"message": concat("", ["a tree has at most ", format_int(_settings.maxOrgs, 10), " orgs"]),
}

# README admin org.create: the org lands under `org` (absent for a top-level org), where the actor's grants and the
# tree limits are evaluated, so `change.parent` must name the same org.
_parent_matches if _new_parent == object.get(input, "org", null)

_parent_mismatch := {
	"code": "parent_mismatch", "org": object.get(input, "org", null), "parent": _new_parent,
	"message": "org.create lands in its parent: change.parent must be the org of the request",
}

# MODEL "Administration": creating a child org respects the depth and size limits.
_create_limits := _depth_reason(count(graph.acting_path) + 1) if {
	count(graph.acting_path) + 1 > _settings.maxDepth
} else := _size_reason(_tree_size + 1) if {
	_tree_size + 1 > _settings.maxOrgs
}

# README admin org.reparent: change.parent, null for a new top-level org.
_new_parent := p if {
	p := _change.parent
	is_string(p)
} else := null

# README admin org.reparent: subtree {height, size} of the moved org.
_subtree := s if {
	s := graph.graph.subtree
	is_object(s)
} else := {}

# Height of the moved subtree (1 = a leaf).
_subtree_height := _number(object.get(_subtree, "height", 1), 1)

# Size of the moved subtree.
_subtree_size := _number(object.get(_subtree, "size", 1), 1)

# README admin org.reparent: targetTree.size of the new parent's tree.
_target_tree_size := n if {
	n := graph.graph.targetTree.size
	is_number(n)
} else := 0

# MODEL Entities: trees stay disjoint and acyclic within the limits when staff re-parent an org.
_reparent_invariant := status.unknown_org(_new_parent) if {
	_new_parent != null
	not graph.orgs[_new_parent]
} else := {
	"code": "cycle", "org": graph.org_id, "parent": _new_parent,
	"message": concat("", ["org ", _new_parent, " is ", graph.org_id, " or one of its descendants"]),
} if {
	_new_parent != null
	graph.org_id in graph.orgs[_new_parent].path
} else := _depth_reason(count(graph.orgs[_new_parent].path) + _subtree_height) if {
	_new_parent != null
	count(graph.orgs[_new_parent].path) + _subtree_height > _settings.maxDepth
} else := _depth_reason(_subtree_height) if {
	_new_parent == null
	_subtree_height > _settings.maxDepth
} else := _size_reason(_target_tree_size + _subtree_size) if {
	_new_parent != null
	graph.orgs[_new_parent].path[0] != graph.root
	_target_tree_size + _subtree_size > _settings.maxOrgs
}

# The roles of a membership change.
_change_roles := r if {
	r := _change.roles
	is_array(r)
} else := []

# MODEL Membership: 1 to 5 known roles (commercetools "up to 5 roles"), valid limits, an existing user.
_membership_invariant := {
	"code": "unknown_user", "user": object.get(_change, "user", null),
	"message": "the target user is not known",
} if {
	not is_object(object.get(_target, "user", null))
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
	key := [k | some k in _change_roles; not graph.role_def(k)][0]
} else := e if {
	e := roles.limit_errors(_change, "limits")[0]
}

# commercetools: at least one, up to 5 roles.
_role_count_ok if {
	count(_change_roles) >= catalog.membershipRoles.min
	count(_change_roles) <= catalog.membershipRoles.max
}

# Printable role key.
_key_str(k) := k if is_string(k)

else := "(not a string)"

# ---------------------------------------------------------------------------------------------------------------
# Self-service guards (buyers only)

# MODEL "Administration": status and inheritance of an org, and its place in the tree, are the seller's
# (the first such field of the patch is named).
_guard("org.update") := _staff_only("org.update", field) if {
	field := [f | some f in ["inheritRoles", "parent", "status"]; f in object.keys(_change)][0]
}

# MODEL "Administration": nobody raises their own roles.
_guard("membership.put") := {
	"code": "self_promotion", "user": graph.subject_id,
	"message": "nobody changes their own membership",
} if {
	_change.user == graph.subject_id
} else := {
	"code": "not_assignable", "role": key,
	"message": concat("", ["role ", key, " is not assignable by buyers"]),
} if {
	key := [k | some k in _change_roles; not roles.assignable(graph.role_def(k))][0]
} else := r if {
	r := _escalations(_change_roles, false)[0]
} else := r if {
	r := _escalations(_current_roles, true)[0]
} else := r if {
	_change_inheritable
	r := _cascade_escalation
} else := r if {
	r := _limit_escalations[0]
}

# MODEL "Administration": removing a membership needs covering the target's current roles.
_guard("membership.delete") := r if {
	r := _escalations(_current_roles, true)[0]
}

# MODEL "Administration": a buyer edits a user's account only when it manages every org that user belongs to, in
# every tree (`target.orgs` is store-wide; an org outside the acting tree is never in scope). `target.user` null is a
# new user; an absent `target.user` counts as an existing user (fail closed).
_guard("user.put") := _outside("user.manage") if {
	not _target.user == null
	not _all_target_orgs_in_scope("user.manage")
}

# MODEL "Administration": status, inheritance and place in the tree are the seller's on creation as on update
# (status is not refused but replaced by the store's buyerOrgStatus, see the effects).
_guard("org.create") := _staff_only("org.create", "inheritRoles") if "inheritRoles" in object.keys(_change)

# A buyer views a user sharing at least one org within its user.view scope.
_guard("user.view") := {
	"code": "unknown_user", "user": object.get(_change, "id", null),
	"message": "the target user is not known",
} if {
	not is_object(object.get(_target, "user", null))
} else := _outside("user.view") if {
	not _some_target_org_in_scope("user.view")
}

# MODEL "Administration": never in a sibling or another tree.
_outside(code) := {
	"code": "outside_scope", "permission": code, "org": graph.org_id,
	"message": concat("", ["the user has memberships outside the ", code, " scope of ", graph.org_id]),
}

# README admin user.put/user.view: target.orgs.
_target_orgs := o if {
	o := _target.orgs
	is_array(o)
} else := []

# MODEL "Administration": user.manage level 2 - that org; level 3 - and its subtree.
_in_scope(_, o) if o == graph.org_id

_in_scope(code, o) if {
	grants.max_level(code) == 3
	graph.reached(o)
}

# Editing a user: all of its memberships within scope.
_all_target_orgs_in_scope(code) if {
	count(_target_orgs) > 0
	every o in _target_orgs {
		_in_scope(code, o)
	}
}

# Viewing a user: one shared org within scope.
_some_target_org_in_scope(code) if {
	some o in _target_orgs
	_in_scope(code, o)
}

# MODEL "Administration": the target's current roles at org, to be covered to edit or remove them.
_current_roles := r if {
	r := _target.membership.roles
	is_array(r)
} else := []

# MODEL "Administration": no privilege escalation - every permission of every role must be held by the actor in
# `org` at an equal or higher level (commercetools associate roles; BigCommerce permission levels).
_escalations(keys, current) := [{
	"code": "escalation", "role": key, "permission": code, "level": level, "held": _held(code), "current": current,
	"message": concat("", [_whose(current), key, " grants ", code, " at level ", format_int(level, 10), ", above what the actor holds in ", graph.org_id]),
} |
	some key in keys
	perms := grants.role_permissions(key)
	some code in sort(object.keys(perms))
	level := perms[code]
	_held(code) < level
]

# A membership is inheritable unless the change says `inheritable: false` (API import default true).
_change_inheritable if not _change.inheritable == false

# MODEL "Administration": an inheritable membership cascades, in the tree as it is, into the descendants of org reached
# under the path test (MODEL "Who may do what" rule 2); each must be inside the actor's user.manage reach. With level 3
# the reach is that same subtree; with level 2 it is org alone, so the subtree must be known (complete in the slice,
# `graph.subtree.size`) and reach nothing below org (fail closed otherwise).
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
	some id, _ in graph.orgs
	graph.reached(id)
	not _in_scope("user.manage", id)
])

# The slice holds every org of org's subtree (their count is `graph.subtree.size`, org included).
_subtree_complete if {
	n := graph.graph.subtree.size
	is_number(n)
	count([id | some id, _ in graph.orgs; graph.in_subtree(id)]) == n
}

# README reason escalation with field inheritable (`org`: the first org reached beyond the actor's reach, if known).
_cascade_reason(org, into) := {
	"code": "escalation", "field": "inheritable", "permission": "user.manage", "level": 3, "held": held, "org": org,
	"message": concat("", [
		"an inheritable membership at ", graph.org_id, " cascades into ", into, ", beyond the actor's user.manage reach (level ",
		format_int(held, 10), ": ", graph.org_id, " only)",
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
_change_limits := l if {
	l := _change.limits
	is_object(l)
} else := {}

# The limits exceeding the actor's, as escalation reasons.
_limit_excess(code, key, limits, actor) := array.concat(_max_excess(code, key, limits, actor), _budget_excess(code, key, limits, actor))

_max_excess(code, key, limits, actor) := [] if {
	some a in actor
	_max_covered(limits, a)
} else := [{
	"code": "escalation", "field": "limits.maxOrderTotal", "role": key, "permission": code,
	"value": _max_of(limits), "held": _highest_max(actor),
	"message": concat("", ["the maxOrderTotal of role ", key, " would exceed the actor's own ", code, " limit in ", graph.org_id]),
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
	"message": concat("", ["the periodBudget of role ", key, " would exceed the actor's own ", code, " budget in ", graph.org_id]),
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

# ---------------------------------------------------------------------------------------------------------------
# Effects

# commercetools "Business units created by buyers are inactive" and "default associate role" (store settings).
_effects("org.create", false) := {"status": _settings.buyerOrgStatus, "creatorRoles": [_settings.buyerOrgRole]}

_effects("org.create", true) := {"status": object.get(_change, "status", "active"), "creatorRoles": []}

_effects("role.put", _) := {"role": roles.validate(_change).role}

# MODEL "Administration": reading an org's tree shows only the orgs the reader may view - staff every org of the
# subtree; a buyer org and the descendants its org.view_subsidiaries reaches under the path test (an opt-out cuts its
# subtree off) whose status, and their ancestors' below org, let buyers read them.
_effects("org.tree", true) := {"visibleOrgs": sort([id | some id, _ in graph.orgs; graph.in_subtree(id)])}

_effects("org.tree", false) := {"visibleOrgs": sort([id |
	some id, _ in graph.orgs
	_tree_visible(id)
])}

# MODEL "Administration": reading a user shows only memberships in orgs the reader may view (its user.view scope), and
# the account (email) only to a reader that may edit it (user.put); staff see every membership and the account.
_effects("user.view", true) := {
	"visibleOrgs": sort(_target_orgs),
	"accountEditable": _staff_edits_users,
	"emailVisible": true,
}

_effects("user.view", false) := {
	"visibleOrgs": sort([o | some o in _target_orgs; _in_scope("user.view", o)]),
	"accountEditable": _account_editable,
	"emailVisible": _account_editable,
}

_effects(op, _) := {} if not op in {"org.create", "role.put", "org.tree", "user.view"}

# A staff role of the actor covers user.put (always defined).
default _staff_edits_users := false

_staff_edits_users if grants.staff_operation_role("user.put")

# An org of the tree a buyer may view: org itself, or a descendant reached under the path test whose path below org
# holds no org gated for org.view (a tree hides a hidden org's subtree with it).
_tree_visible(id) if id == graph.org_id

_tree_visible(id) if {
	graph.reached(id)
	count([x |
		some j, x in graph.orgs[id].path
		j > graph.acting_depth
		status.gate("org.view", x)
	]) == 0
}

# The buyer's user.put on the target would pass: user.manage held in org, not gated there, every org of the user in
# its user.manage scope (always defined: true or false).
default _account_editable := false

_account_editable if {
	is_object(_target.user)
	count(grants.entries("user.manage")) > 0
	not status.gate("user.manage", graph.org_id)
	_all_target_orgs_in_scope("user.manage")
}

# README admin answer: effects are empty on deny.
_deny(reasons) := {"decision": "deny", "allow": false, "reasons": reasons, "effects": {}}

# README admin answer.
_allow(reasons, effects) := {"decision": "allow", "allow": true, "reasons": reasons, "effects": effects}
