# METADATA
# title: Orders
# description: |
#   Entrypoint `b2b/orders/scope` - which orders the subject may list acting in `org` (MODEL "Orders";
#   API `POST /v1/orders/query`). Visible - orders whose org is in `scope.orgs`, plus orders whose org is in
#   `scope.ownOrgs` and whose buyer is the subject.
package b2b.orders

import data.b2b.grants
import data.b2b.refusals
import data.b2b.slice
import data.b2b.status

# METADATA
# title: Scope
# description: |
#   {kind always_denied|conditional|always_allowed, scope {orgs, ownOrgs} (sorted), reasons}.
#   Level 1 - own orders of the acting org (ownOrgs); level 2 - the acting org; level 3 - and its subtree reached
#   under the path test; orgs whose status refuses reads are left out. Staff - every org of the acting tree (the
#   slice holds the whole tree for them), whatever its status.
# entrypoint: true
scope := _denied(refusals.subject_or_org) if {
	count(refusals.subject_or_org) > 0
} else := _staff if {
	slice.is_staff
} else := _denied(rs) if {
	rs := refusals.buyer("order.view", slice.org_id, _entries)
	count(rs) > 0
} else := _visible(max([e[4] | some e in _entries]))

# MODEL "Orders": the order.view grants in the acting org (entry tuples, see `grants.entries`).
_entries := grants.entries("order.view")

# API: always_denied with empty scope and the reason (`[reason]`).
_denied(rs) := {"kind": "always_denied", "scope": {"orgs": [], "ownOrgs": []}, "reasons": rs}

# Seller administrators have full access to all account purchases (Elastic Path), one tree at a time (MODEL
# "Staff": a resource in another tree than the acting org is cross_tree), and are not limited by org status.
_staff := {
	"kind": "conditional",
	"scope": {"orgs": sorted_ids([id | some id, o in slice.orgs; o.path[0] == slice.root]), "ownOrgs": []},
	"reasons": [grants.staff_reason(key)],
} if {
	key := grants.staff_role("order.view")
} else := _denied([refusals.staff_missing_permission("order.view")])

# The grant explaining the visible scope (direct before inherited before level-3 reach).
_why(level) := [grants.how_entry(min([e | some e in _entries; e[4] == level]), "order.view")]

# MODEL "Orders" level 1; Emporix "My Orders", commercetools "My orders".
_visible(1) := {"kind": "conditional", "scope": {"orgs": [], "ownOrgs": [slice.org_id]}, "reasons": _why(1)}

# MODEL "Orders" level 2; Emporix read scope for the legal entity, AI Commerce Cloud org admin sees all orders.
_visible(2) := {"kind": "conditional", "scope": {"orgs": [slice.org_id], "ownOrgs": []}, "reasons": _why(2)}

# MODEL "Orders" level 3; Elastic Path account purchases over the subtree, BigCommerce company and subsidiaries.
_visible(3) := {
	"kind": "conditional",
	"scope": {"orgs": sorted_ids(array.concat([slice.org_id], _subtree)), "ownOrgs": []},
	"reasons": _why(3),
}

# MODEL "Orders" level 3: descendants reached under the path test whose status still allows reads - one pass over
# the slice reading each org's path and status from its record (`slice.reached`, `status.readable`), with the
# per-evaluation facts bound once outside the loop; an org that opts out of inheritance below the acting org hides its
# subtree (the paths are only scanned for it when the slice holds an opt-out).
_subtree := [id |
	some id, o in slice.orgs
	_below(o, d, org, n, readable)
] if {
	count(slice.opt_outs) == 0
	[d, org, n, readable] := _facts
} else := [id |
	some id, o in slice.orgs
	_below(o, d, org, n, readable)
	not _cut(o.path, d, slice.opt_outs)
] if {
	[d, org, n, readable] := _facts
}

# The acting org's depth, id and path length, and the readable statuses.
_facts := [slice.acting_depth, slice.org_id, count(slice.acting_path), status.readable_statuses]

# MODEL "Who may do what" level 3 path test, and MODEL "Status": the org's status lets orders be read.
_below(o, d, org, n, readable) if {
	p := o.path
	p[d] == org
	count(p) > n
	_readable(object.get(o, "status", "active"), readable)
}

# MODEL rule 3 path test below the acting org (`slice.reached`).
_cut(p, d, cuts) if {
	some j, x in p
	j > d
	cuts[x]
}

# A status among the catalog's readable ones; any other (unknown, or not a string) goes through
# `status.readable_status`.
_readable(v, readable) if {
	readable[v]
} else if {
	status.readable_status(slice.status_value(v))
}

# METADATA
# title: Sorted ids
# description: |
#   `sort(ids)` for the scope: OPA's Wasm `sort` is an insertion sort (quadratic in the number of out-of-order pairs),
#   so a long list is cut by a few pivots sampled from it into ranges sorted separately and concatenated, which is
#   the same sorted list (ranges [pivot, next pivot) partition the ids).
sorted_ids(ids) := sort(ids) if {
	count(ids) <= 64
} else := array.flatten([
	sort([x | some x in ids; x < first]),
	array.flatten(mids),
	sort([x | some x in ids; x >= last]),
]) if {
	n := count(ids)
	sample := sort({ids[floor((i * n) / 15)] | some i in numbers.range(0, 14)})
	count(sample) == 15
	pivots := [sample[2], sample[5], sample[8], sample[11]]
	first := pivots[0]
	last := pivots[3]
	mids := [sort([x | some x in ids; x >= lo; x < hi]) | some i, lo in pivots; hi := pivots[i + 1]]
} else := sort(ids)
