# METADATA
# title: Check
# description: |
#   Entrypoint `b2b/check/decision` - one decision: may the subject do `action` (on `resource`) acting in `org`.
#   The decision function `decide` is shared with `b2b/batch/results`.
package b2b.check

import data.b2b.catalog
import data.b2b.grants
import data.b2b.refusals
import data.b2b.roles
import data.b2b.slice
import data.b2b.status

# METADATA
# title: Decision
# description: The decision for `input.action` and optional `input.resource` (API `POST /v1/check`).
# entrypoint: true
decision := decide_item(input)

# METADATA
# title: Decide one check
# description: |
#   The decision for one `{action, resource?}` item (the check input itself, or an item of a batch's `checks`).
decide_item(item) := decide(_get(item, "action"), _get(item, "resource"))

# METADATA
# title: Decide
# description: |
#   One decision {decision, allow, reasons, approvers?}. Refusals are checked in a fixed order and the first wins -
#   unknown action (stops at once: the HTTP layer answers 400), unknown or disabled subject, unknown acting org,
#   unknown or foreign resource org, own order, staff, org status, grants, level, checkout limits.
decide(action, resource) := decide_normalized(action, _resource(resource))

# METADATA
# title: Decide a normalized item
# description: "`decide` for a resource already normalized (`{org, buyer, attributes}` or null)."
decide_normalized(action, res) := _deny([_unknown_action(action)]) if {
	not roles.canonical(action)
} else := _deny(refusals.subject_or_org) if {
	count(refusals.subject_or_org) > 0
} else := _decide(roles.canonical(action), res)

# METADATA
# title: Item key
# description: |
#   What the decision of a `{action, resource?}` item depends on, read from the item as given: the action and, for a
#   resource object, its `org` (null: the acting org), whether its `buyer` is the subject, whether its `owner` is the
#   subject, whether it has no `buyer` (level-1 ownership is the buyer, else the owner) and, only when some grant may
#   carry a numeric limit, the order's `total` and `spentInPeriod` for checkout codes (else no grant can be over a
#   limit, and nothing else of the resource is read). Items with equal keys get equal decisions: a batch decides each
#   distinct key once (`decide_key`).
item_key(item) := _item_key(item, _subject, _any_limit)

# `item_key` with the per-evaluation facts bound once: the subject's id `s`, and whether some grant may carry a
# numeric limit.
_item_key(item, s, limited) := _with_figures(
	[action, object.get(r, "org", null), b == s, object.get(r, "owner", null) == s, b == null],
	limited, action, r,
) if {
	is_object(item)
	r := object.get(item, "resource", null)
	is_object(r)
	action := object.get(item, "action", null)
	b := object.get(r, "buyer", null)
} else := [_get(item, "action")]

# MODEL "Checkout limits": the order's figures matter only where some grant may carry a numeric limit.
_with_figures(key, false, _, _) := key

_with_figures(key, true, action, r) := array.concat(key, _figures(action, object.get(r, "attributes", null)))

# The order's figures when they matter (a checkout code, and some grant of the subject may carry a numeric limit).
_figures(action, attributes) := [_num(a, "total"), _num(a, "spentInPeriod")] if {
	roles.canonical(action) in catalog.checkoutCodes
	a := _object(attributes)
} else := [0, 0]

# An object, or the empty object.
_object(x) := x if is_object(x)

else := {}

# The subject's id, or null.
default _subject := null

_subject := slice.subject_id

# Some membership on the acting path, or some role it references, carries a numeric limit (a superset of the grants'
# limits, computed once per evaluation).
default _any_limit := false

_any_limit if {
	some m in slice.memberships
	_numeric_limit(m.limits)
} else if {
	some m in slice.memberships
	some key in m.roles
	_numeric_limit(grants.role_limits(key))
}

# MODEL Role limits that `_over` can exceed.
_numeric_limit(limits) if is_number(limits.maxOrderTotal)

_numeric_limit(limits) if is_number(limits.periodBudget.amount)

# METADATA
# title: Decide a key
# description: The decision of every item with key `k` (`item_key`); equal to `decide_item` of each of them.
decide_key(k) := decide(k[0], _key_resource(k))

# A resource with the facts of a key: its org as given, the subject as buyer, or as owner where the buyer is absent,
# or a buyer that is not the subject (`false`); the order's figures when the key has them.
_key_resource(k) := null if {
	count(k) == 1
} else := {"org": k[1], "buyer": _key_buyer(k[2], k[4]), "owner": _key_owner(k[3]), "attributes": _key_figures(k)}

_key_buyer(true, _) := _subject

_key_buyer(false, true) := null

_key_buyer(false, false) := false

_key_owner(true) := _subject

_key_owner(false) := null

_key_figures(k) := {"total": k[5], "spentInPeriod": k[6]} if {
	count(k) == 7
} else := {}

# Reading an optional field of a possibly malformed item (a batch keeps one answer per item).
_get(obj, key) := v if {
	is_object(obj)
	v := obj[key]
} else := null

# MODEL "Who may do what": a resource's org defaults to the acting org; `buyer` or `owner` marks level-1 ownership.
_resource(r) := {
	"org": _default(object.get(r, "org", null), slice.org_id),
	"buyer": _default(object.get(r, "buyer", null), object.get(r, "owner", null)),
	"attributes": _default(object.get(r, "attributes", null), {}),
} if {
	is_object(r)
} else := null

# API defaults: an absent or null field takes its default.
_default(v, d) := v if v != null

else := d

# MODEL: refusals in a fixed order (README "Answers", `refusals`); org status gates staff never (MODEL "Status").
_decide(code, res) := _deny([r]) if {
	r := _resource_refusal(res)
} else := _deny([r]) if {
	r := _own_order(code, res)
} else := _staff(code) if {
	slice.is_staff
} else := _buyer(code, res, grants.entries(code))

# MODEL "Who may do what": a buyer's refusals (`refusals.buyer`, `es`: the code's entry tuples), else the resource
# must be within reach of the acting org.
_buyer(code, res, es) := _deny(rs) if {
	rs := refusals.buyer(code, landing(res), es)
	count(rs) > 0
} else := _reached(code, res, es, _needed(res))

# The level the resource needs, 0 outside the acting org's reach.
_needed(res) := l if {
	l := needed_level(res)
} else := 0

# MODEL "Levels": a higher level satisfies a lower one.
_reached(_, res, _, 0) := _deny([_outside(res)])

_reached(code, res, es, need) := _covered(code, res, es, need, [e | some e in es; e[4] >= need]) if need > 0

# METADATA
# title: Landing org
# description: |
#   MODEL "Status" - the gate applies to the org the action lands in - the resource's org where a resource is given,
#   else the acting org.
landing(res) := res.org if res != null

else := slice.org_id

# MODEL "Who may do what": never crosses trees; the resource's org must be known.
_resource_refusal(res) := status.unknown_org(res.org) if {
	res != null
	not slice.orgs[res.org]
} else := {
	"code": "cross_tree", "org": res.org,
	"message": concat("", ["org ", res.org, " is in another tree than ", slice.org_id]),
} if {
	res != null
	not slice.same_tree(res.org)
}

# MODEL "Checkout limits and approvals": nobody approves their own order.
_own_order(code, res) := {
	"code": "own_order", "permission": code,
	"message": "nobody approves their own order",
} if {
	code == "approval.decide"
	res.buyer == slice.subject_id
}

# MODEL Entities, Staff: store_admin everything in every tree, not limited by org status.
_staff(code) := _allow([grants.staff_reason(key)]) if {
	key := grants.staff_role(code)
} else := _deny([refusals.staff_missing_permission(code)])

# METADATA
# title: Needed level
# description: |
#   MODEL "Who may do what" - the level a resource needs: 1 own resource in the acting org, 2 the acting org,
#   3 a descendant reached under the path test; no resource - any level. Undefined outside the acting org's reach.
needed_level(res) := 1 if {
	res == null
} else := _acting_level(object.get(res, "buyer", null) == slice.subject_id) if {
	res.org == slice.org_id
} else := 3 if {
	slice.reached(res.org)
}

# MODEL "Who may do what": in the acting org, level 1 for one's own resource, else level 2.
_acting_level(true) := 1

_acting_level(false) := 2

# MODEL "Levels": the entries covering the needed level; checkout codes go through the limits, else the best grant
# (the smallest tuple) explains the allow.
_covered(code, res, es, need, covering) := _deny([_too_low(code, res, es, need)]) if {
	count(covering) == 0
} else := _checkout(code, covering, res) if {
	code in catalog.checkoutCodes
} else := _allow([grants.how_entry(min(covering), code)])

# MODEL "Who may do what": authority never flows up or sideways; level 3 stops where an org opts out of inheritance.
_outside(res) := {
	"code": "outside_scope", "org": res.org,
	"message": concat("", ["org ", res.org, " is not ", slice.org_id, " nor in its subtree"]),
} if {
	not slice.in_subtree(res.org)
} else := {
	"code": "outside_scope", "org": res.org,
	"message": concat(
		"",
		["org ", res.org, " is below an org of ", slice.org_id, "'s subtree that does not inherit roles"],
	),
}

# MODEL "Levels": the code is held, but at no level covering the resource.
_too_low(code, res, es, need) := {
	"code": "level_too_low", "permission": code, "org": res.org,
	"level": held, "required": need,
	"message": concat("", [
		code, " is held at level ", format_int(held, 10),
		", the resource needs level ", format_int(need, 10),
	]),
} if {
	held := max([e[4] | some e in es])
}

# MODEL "Checkout limits and approvals": the most permissive grant decides - each covering entry gets an outcome
# class (0 allow, 1 approval, 2 deny), and the smallest [class, entry...] wins (allow < approval < deny, then
# direct < inherited < reach, nearest first); only the winner's answer is built.
_checkout(code, covering, res) := _outcome(code, res, attrs, min([_keyed(e, attrs) | some e in covering])) if {
	attrs := _attrs(res)
}

# An entry keyed by its outcome class.
_keyed(e, attrs) := [_class(e, _over_or_null(grants.limits(e), attrs)), e[0], e[1], e[2], e[3], e[4], e[5], e[6]]

# MODEL "Checkout limits": over a limit - deny where the tree's overLimit says so, else approval; Emporix Requester
# (checkout approval) - approval; else allow.
_class(e, over) := 2 if {
	over != null
	slice.over_limit == "deny"
} else := 1 if {
	over != null
} else := 1 if {
	roles.checkout_of(slice.role_def(e[2])) == "approval"
} else := 0

# The answer of the winning entry `k` ([class, entry...]).
_outcome(code, res, attrs, k) := _deny([_limit_reason("limit_exceeded", e, _over(grants.limits(e), attrs))]) if {
	k[0] == 2
	e := array.slice(k, 1, 8)
} else := _approval([grants.how_entry(e, code), _limit_reason("over_limit", e, over)], res) if {
	k[0] == 1
	e := array.slice(k, 1, 8)
	over := _over(grants.limits(e), attrs)
} else := _approval([grants.how_entry(e, code), _approval_checkout(e)], res) if {
	k[0] == 1
	e := array.slice(k, 1, 8)
} else := _allow([grants.how_entry(e, code), _within(e, code)]) if {
	e := array.slice(k, 1, 8)
}

# MODEL "Checkout limits": the order's attributes (`total`, `spentInPeriod`).
_attrs(res) := res.attributes if is_object(res.attributes)

else := {}

# An absent or non-numeric amount counts as 0.
_num(attrs, key) := attrs[key] if is_number(attrs[key])

else := 0

# MODEL "Checkout limits": which limit an order is over, or null.
_over_or_null(limits, attrs) := o if {
	o := _over(limits, attrs)
} else := null

# MODEL "Checkout limits": over maxOrderTotal, or spentInPeriod + total over the period budget.
_over(limits, attrs) := {"limit": "maxOrderTotal", "max": limits.maxOrderTotal, "total": _num(attrs, "total")} if {
	is_number(limits.maxOrderTotal)
	_num(attrs, "total") > limits.maxOrderTotal
} else := {
	"limit": "periodBudget", "amount": limits.periodBudget.amount, "period": _default(
		_get(limits.periodBudget, "period"),
		null,
	),
	"spentInPeriod": _num(attrs, "spentInPeriod"), "total": _num(attrs, "total"),
} if {
	is_number(limits.periodBudget.amount)
	_num(attrs, "spentInPeriod") + _num(attrs, "total") > limits.periodBudget.amount
}

# MODEL "Checkout limits": over_limit (approval) or limit_exceeded (tree overLimit deny), with the limit's figures.
_limit_reason(code, e, over) := object.union(over, {
	"code": code, "role": e[2], "org": e[5],
	"message": concat("", ["order over the ", over.limit, " of role ", e[2], " at ", e[5]]),
})

# Emporix Requester: roles with checkout "approval" always need approval.
_approval_checkout(e) := {
	"code": "approval_checkout", "role": e[2], "org": e[5],
	"message": concat("", ["role ", e[2], " always checks out through approval"]),
}

# MODEL "Checkout limits": a direct checkout within the grant's limits.
_within(e, code) := {
	"code": "within_limit", "role": e[2], "org": e[5], "permission": code,
	"message": concat("", ["within the limits of role ", e[2], " at ", e[5]]),
}

# API: an unknown action code is a distinct reason (the HTTP layer answers 400).
_unknown_action(action) := {
	"code": "unknown_action",
	"action": action,
	"message": concat("", ["unknown action ", _str(action)]),
}

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
