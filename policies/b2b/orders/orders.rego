# METADATA
# title: Orders
# description: |
#   Entrypoint `b2b/orders/scope` - which orders the subject may list acting in `org` (MODEL "Orders";
#   API `POST /v1/orders/query`). Visible - orders whose org is in `scope.orgs`, plus orders whose org is in
#   `scope.ownOrgs` and whose buyer is the subject.
package b2b.orders

import data.b2b.check
import data.b2b.grants
import data.b2b.graph
import data.b2b.status

# METADATA
# title: Scope
# description: |
#   {kind always_denied|conditional|always_allowed, scope {orgs, ownOrgs} (sorted), reasons}.
#   Level 1 - own orders of the acting org (ownOrgs); level 2 - the acting org; level 3 - and its subtree reached
#   under the path test; orgs whose status refuses reads are left out. Staff - always_allowed.
# entrypoint: true
scope := _denied(r) if {
	r := status.subject_refusal
} else := _denied(r) if {
	r := status.org_refusal
} else := _staff if {
	graph.is_staff
} else := _denied(r) if {
	r := status.acting_refusal
} else := _denied(r) if {
	r := status.gate("order.view", graph.org_id)
} else := _denied(check.not_associated) if {
	not grants.associated
} else := _denied({
	"code": "missing_permission", "permission": "order.view", "org": graph.org_id,
	"message": concat("", ["no role held in ", graph.org_id, " grants order.view"]),
}) if {
	count(_entries) == 0
} else := _visible(max([e.level | some e in _entries]))

# MODEL "Orders": the order.view grants in the acting org.
_entries := grants.for_code("order.view")

# API: always_denied with empty scope and the reason.
_denied(r) := {"kind": "always_denied", "scope": {"orgs": [], "ownOrgs": []}, "reasons": [r]}

# Seller administrators have full access to all account purchases (Elastic Path); store_admin sees everything.
_staff := {"kind": "always_allowed", "scope": {"orgs": [], "ownOrgs": []}, "reasons": [grants.staff_reason(key)]} if {
	key := grants.staff_role("order.view")
} else := _denied({
	"code": "missing_permission", "permission": "order.view",
	"message": "no staff role grants order.view",
})

# The grant explaining the visible scope (direct before inherited before level-3 reach).
_why(level) := [grants.how(grants.best([e | some e in _entries; e.level == level]))]

# MODEL "Orders" level 1; Emporix "My Orders", commercetools "My orders".
_visible(1) := {"kind": "conditional", "scope": {"orgs": [], "ownOrgs": [graph.org_id]}, "reasons": _why(1)}

# MODEL "Orders" level 2; Emporix read scope for the legal entity, AI Commerce Cloud org admin sees all orders.
_visible(2) := {"kind": "conditional", "scope": {"orgs": [graph.org_id], "ownOrgs": []}, "reasons": _why(2)}

# MODEL "Orders" level 3; Elastic Path account purchases over the subtree, BigCommerce company and subsidiaries.
_visible(3) := {"kind": "conditional", "scope": {"orgs": sort(array.concat([graph.org_id], _subtree)), "ownOrgs": []}, "reasons": _why(3)}

# MODEL "Orders" level 3: descendants reached under the path test whose status still allows reads.
_subtree := [id |
	some id, _ in graph.orgs
	graph.reached(id)
	status.readable(id)
]
