# METADATA
# title: Check
# description: |
#   Entrypoint `b2b/check/decision` - one decision: may the subject do `action` (on `resource`) acting in `org`.
#   The decision function `decide` is shared with `b2b/batch/results`.
package b2b.check

import data.b2b.catalog
import data.b2b.grants
import data.b2b.graph
import data.b2b.roles
import data.b2b.status

# METADATA
# title: Decision
# description: The decision for `input.action` and optional `input.resource` (API `POST /v1/check`).
# entrypoint: true
decision := decide_item(input)

# METADATA
# title: Decide one check
# description: The decision for one `{action, resource?}` item (the check input itself, or an item of a batch's `checks`).
decide_item(item) := decide(_get(item, "action"), _get(item, "resource"))

# METADATA
# title: Decide
# description: |
#   One decision {decision, allow, reasons, approvers?}. Refusals are checked in a fixed order and the first wins -
#   unknown action (stops at once: the HTTP layer answers 400), unknown or disabled subject, unknown acting org,
#   unknown or foreign resource org, own order, staff, org status, grants, level, checkout limits.
decide(action, resource) := _deny([_unknown_action(action)]) if {
	not roles.canonical(action)
} else := _deny([r]) if {
	r := status.subject_refusal
} else := _deny([r]) if {
	r := status.org_refusal
} else := _decide(roles.canonical(action), _resource(resource))

# Reading an optional field of a possibly malformed item (a batch keeps one answer per item).
_get(obj, key) := v if {
	is_object(obj)
	v := obj[key]
} else := null

# MODEL "Who may do what": a resource's org defaults to the acting org; `buyer` or `owner` marks level-1 ownership.
_resource(r) := {
	"org": _default(_get(r, "org"), graph.org_id),
	"buyer": _default(_get(r, "buyer"), _get(r, "owner")),
	"attributes": _default(_get(r, "attributes"), {}),
} if {
	is_object(r)
} else := null

# API defaults: an absent or null field takes its default.
_default(v, d) := v if v != null

else := d

# MODEL: refusals in a fixed order (README "Answers"); org status gates staff never (MODEL "Status").
_decide(code, res) := _deny([r]) if {
	r := _resource_refusal(res)
} else := _deny([r]) if {
	r := _own_order(code, res)
} else := _staff(code) if {
	graph.is_staff
} else := _deny([r]) if {
	r := status.acting_refusal
} else := _deny([r]) if {
	r := status.gate(code, landing(res))
} else := _deny([not_associated]) if {
	not grants.associated
} else := _held(code, res, grants.for_code(code))

# MODEL "Who may do what": the code must be held in the acting org, and the resource within reach of the acting org.
_held(code, res, es) := _deny([_missing(code)]) if {
	count(es) == 0
} else := _deny([_outside(res)]) if {
	not needed_level(res)
} else := _covered(code, res, es, [e | some e in es; e.level >= needed_level(res)])

# METADATA
# title: Landing org
# description: MODEL "Status" - the gate applies to the org the action lands in - the resource's org where a resource is given, else the acting org.
landing(res) := res.org if res != null

else := graph.org_id

# MODEL "Who may do what": never crosses trees; the resource's org must be known.
_resource_refusal(res) := status.unknown_org(res.org) if {
	res != null
	not graph.orgs[res.org]
} else := {
	"code": "cross_tree", "org": res.org,
	"message": concat("", ["org ", res.org, " is in another tree than ", graph.org_id]),
} if {
	res != null
	not graph.same_tree(res.org)
}

# MODEL "Checkout limits and approvals": nobody approves their own order.
_own_order(code, res) := {
	"code": "own_order", "permission": code,
	"message": "nobody approves their own order",
} if {
	code == "approval.decide"
	res.buyer == graph.subject_id
}

# MODEL Entities, Staff: store_admin everything in every tree, not limited by org status.
_staff(code) := _allow([grants.staff_reason(key)]) if {
	key := grants.staff_role(code)
} else := _deny([{
	"code": "missing_permission", "permission": code,
	"message": concat("", ["no staff role grants ", code]),
}])

# METADATA
# title: Not associated
# description: MODEL "Who may do what" - no membership on the acting org's path grants anything there.
not_associated := {
	"code": "not_associated", "org": graph.org_id,
	"message": concat("", ["no membership on the path of ", graph.org_id, " grants anything there"]),
}

# MODEL "Who may do what": memberships grant something here, but no role grants the code (AI Commerce Cloud viewer ordering).
_missing(code) := {
	"code": "missing_permission", "permission": code, "org": graph.org_id,
	"message": concat("", ["no role held in ", graph.org_id, " grants ", code]),
}

# METADATA
# title: Needed level
# description: |
#   MODEL "Who may do what" - the level a resource needs: 1 own resource in the acting org, 2 the acting org,
#   3 a descendant reached under the path test; no resource - any level. Undefined outside the acting org's reach.
needed_level(res) := 1 if {
	res == null
} else := 1 if {
	res.org == graph.org_id
	res.buyer == graph.subject_id
} else := 2 if {
	res.org == graph.org_id
} else := 3 if {
	graph.reached(res.org)
}

# MODEL "Levels": a higher level satisfies a lower one; checkout codes go through the limits.
_covered(code, res, es, covering) := _deny([_too_low(code, res, es)]) if {
	count(covering) == 0
} else := _checkout(code, covering, res) if {
	code in catalog.checkoutCodes
} else := _allow([grants.how(grants.best(covering))])

# MODEL "Who may do what": authority never flows up or sideways; level 3 stops where an org opts out of inheritance.
_outside(res) := {
	"code": "outside_scope", "org": res.org,
	"message": concat("", ["org ", res.org, " is not ", graph.org_id, " nor in its subtree"]),
} if {
	not graph.in_subtree(res.org)
} else := {
	"code": "outside_scope", "org": res.org,
	"message": concat("", ["org ", res.org, " is below an org of ", graph.org_id, "'s subtree that does not inherit roles"]),
}

# MODEL "Levels": the code is held, but at no level covering the resource.
_too_low(code, res, es) := {
	"code": "level_too_low", "permission": code, "org": res.org,
	"level": held, "required": needed_level(res),
	"message": concat("", [
		code, " is held at level ", format_int(held, 10),
		", the resource needs level ", format_int(needed_level(res), 10),
	]),
} if {
	held := max([e.level | some e in es])
}

# MODEL "Checkout limits and approvals": the most permissive grant decides.
_checkout(code, covering, res) := [x.result | some x in outs; x.key == k][0] if {
	outs := [_outcome(e, res, code) | some e in covering]
	k := min([x.key | some x in outs])
}

# MODEL "Checkout limits": one grant's outcome, keyed so that allow < approval < deny, then direct < inherited < reach, nearest first.
_outcome(e, res, code) := {"key": [2, e.rank, e.dist, e.role, e.m], "result": _deny([_limit_reason("limit_exceeded", e, over)])} if {
	over := _over(_limits(e), _attrs(res))
	graph.over_limit == "deny"
} else := {"key": [1, e.rank, e.dist, e.role, e.m], "result": _approval([grants.how(e), _limit_reason("over_limit", e, over)], res)} if {
	over := _over(_limits(e), _attrs(res))
} else := {"key": [1, e.rank, e.dist, e.role, e.m], "result": _approval([grants.how(e), _approval_checkout(e)], res)} if {
	roles.checkout_of(graph.role_def(e.role)) == "approval"
} else := {"key": [0, e.rank, e.dist, e.role, e.m], "result": _allow([grants.how(e), _within(e, code)])}

# MODEL Membership: the membership's limits override the role's, field by field.
_limits(e) := object.union(_role_limits(e.role), grants.membership(e).limits)

# MODEL Role: optional `limits` of a role (custom or template).
_role_limits(key) := l if {
	l := graph.role_def(key).limits
	is_object(l)
} else := {}

# MODEL "Checkout limits": the order's attributes (`total`, `spentInPeriod`).
_attrs(res) := res.attributes if is_object(res.attributes)

else := {}

# An absent or non-numeric amount counts as 0.
_num(attrs, key) := attrs[key] if is_number(attrs[key])

else := 0

# MODEL "Checkout limits": over maxOrderTotal, or spentInPeriod + total over the period budget.
_over(limits, attrs) := {"limit": "maxOrderTotal", "max": limits.maxOrderTotal, "total": _num(attrs, "total")} if {
	is_number(limits.maxOrderTotal)
	_num(attrs, "total") > limits.maxOrderTotal
} else := {
	"limit": "periodBudget", "amount": limits.periodBudget.amount, "period": _default(_get(limits.periodBudget, "period"), null),
	"spentInPeriod": _num(attrs, "spentInPeriod"), "total": _num(attrs, "total"),
} if {
	is_number(limits.periodBudget.amount)
	_num(attrs, "spentInPeriod") + _num(attrs, "total") > limits.periodBudget.amount
}

# MODEL "Checkout limits": over_limit (approval) or limit_exceeded (tree overLimit deny), with the limit's figures.
_limit_reason(code, e, over) := object.union(over, {
	"code": code, "role": e.role, "org": e.org,
	"message": concat("", ["order over the ", over.limit, " of role ", e.role, " at ", e.org]),
})

# Emporix Requester: roles with checkout "approval" always need approval.
_approval_checkout(e) := {
	"code": "approval_checkout", "role": e.role, "org": e.org,
	"message": concat("", ["role ", e.role, " always checks out through approval"]),
}

# MODEL "Checkout limits": a direct checkout within the grant's limits.
_within(e, code) := {
	"code": "within_limit", "role": e.role, "org": e.org, "permission": code,
	"message": concat("", ["within the limits of role ", e.role, " at ", e.org]),
}

# API: an unknown action code is a distinct reason (the HTTP layer answers 400).
_unknown_action(action) := {"code": "unknown_action", "action": action, "message": concat("", ["unknown action ", _str(action)])}

# Printable form of a possibly missing id.
_str(x) := x if is_string(x)

else := "(none)"

# API Decisions: `allow` is true only for allow.
_deny(reasons) := {"decision": "deny", "allow": false, "reasons": reasons}

# API Decisions: an allow names how it is held.
_allow(reasons) := {"decision": "allow", "allow": true, "reasons": reasons}

# MODEL "Checkout limits": approvers are the members holding approval.decide in the org the order lands in.
_approval(reasons, res) := {
	"decision": "approval_required", "allow": false, "reasons": reasons,
	"approvers": {"org": landing(res), "permission": "approval.decide"},
}
