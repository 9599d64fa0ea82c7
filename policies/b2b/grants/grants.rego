# METADATA
# title: Grants
# description: |
#   Role resolution in the acting org (MODEL "Who may do what in an org"): direct roles, inherited roles and the
#   level-3 reach of single permissions. Computed once per evaluation (complete rules over the input) and shared by
#   every decision of a batch.
package b2b.grants

import data.b2b.graph
import data.b2b.roles

# METADATA
# title: Role permissions
# description: |
#   The normalized permissions {code - level} of each role referenced by the subject's memberships on the acting path
#   (for answers that list every code; a single check reads `level_of` instead).
role_perms[key] := _perms(key) if {
	some m in graph.memberships
	some key in m.roles
	graph.role_def(key)
}

# Built-in templates are canonical with one entry per code (checked by the templates tests): read them as they are.
_perms(key) := {p.code: p.level | some p in data.b2b.templates.roles[key].permissions} if {
	not _custom[key]
} else := _custom[key]

# Custom roles of the slice, normalized through the catalog once per evaluation.
_custom[key] := roles.permissions_of(def) if {
	some m in graph.memberships
	some key in m.roles
	def := graph.graph.roles[key]
	is_object(def)
}

# METADATA
# title: Level of a code in a role
# description: The level at which role `key` grants `code` (canonical), undefined when it does not.
level_of(key, code) := _custom[key][code] if {
	_custom[key]
} else := l if {
	some p in data.b2b.templates.roles[key].permissions
	p.code == code
	l := p.level
}

# A role (template or custom) that grants at least one code, resp. at least one code at level 3.
_grants_any(key) if count(_custom[key]) > 0

_grants_any(key) if {
	not _custom[key]
	count(data.b2b.templates.roles[key].permissions) > 0
}

# MODEL rule 3: only level-3 permissions reach below the membership's org.
_grants_level3(key) if {
	some l in _custom[key]
	l == 3
}

_grants_level3(key) if {
	not _custom[key]
	some p in data.b2b.templates.roles[key].permissions
	p.level == 3
}

# MODEL Role: a role key unknown to the slice and the templates grants nothing.
_known(key) if _custom[key]

_known(key) if data.b2b.templates.roles[key]

# METADATA
# title: Role grants
# description: |
#   Roles the subject holds in the acting org, each with the org of its membership and how it is held
#   (`via`, `rank` 0 direct / 1 inherited, `dist` = levels above the acting org, `m` = membership index).
#   MODEL "Who may do what" rule 1 (direct; AI Commerce Cloud, Emporix, Elastic Path associations) and rule 2
#   (inherited; commercetools "Children will inherit" + "Inherit role assignments from all ancestors").
role_grants := [g |
	some mi, m in graph.memberships
	_holds_roles(m)
	some key in m.roles
	_known(key)
	g := {"role": key, "org": m.org, "via": _via(m), "rank": _rank(m), "dist": graph.acting_depth - m.index, "m": mi}
]

# MODEL rule 1 (a membership at the acting org) and rule 2 (inheritable, path test passes).
_holds_roles(m) if m.index == graph.acting_depth

_holds_roles(m) if {
	m.inheritable
	graph.reaches_acting(m.index)
}

# How a role is held, for reasons and for ranking (direct before inherited).
_via(m) := "direct" if m.index == graph.acting_depth

else := "inherited"

# Ranking of grants: direct 0, inherited 1 (level-3 reach 2).
_rank(m) := 0 if m.index == graph.acting_depth

else := 1

# METADATA
# title: Level-3 reach grants
# description: |
#   MODEL "Who may do what" rule 3 - memberships at an ancestor that are not inheritable (else rule 2 applies) but pass
#   the path test: their level-3 permissions reach the acting org (BigCommerce "company and subsidiaries", Elastic Path
#   "purchases of any child account in the subtree" although associations are not inherited).
reach_grants := [g |
	some mi, m in graph.memberships
	not m.inheritable
	graph.reaches_acting(m.index)
	some key in m.roles
	_grants_level3(key)
	g := {"role": key, "org": m.org, "via": "level3_reach", "rank": 2, "dist": graph.acting_depth - m.index, "m": mi}
]

# METADATA
# title: Entries for a code
# description: |
#   The grants of one code in the acting org, each as {role, org, via, rank, dist, m, code, level}; computed per code
#   from the (memoized) grants, so a batch does not rebuild the subject's grants per check.
for_code(code) := array.concat(
	[object.union(g, {"code": code, "level": level}) | some g in role_grants; level := level_of(g.role, code)],
	[object.union(g, {"code": code, "level": 3}) | some g in reach_grants; level_of(g.role, code) == 3],
)

# METADATA
# title: Held codes
# description: Every code the subject holds in the acting org.
codes := {code | some g in role_grants; some code, _ in role_perms[g.role]} | {code |
	some g in reach_grants
	some code, level in role_perms[g.role]
	level == 3
}

# METADATA
# title: Associated
# description: MODEL - some membership on the acting path grants something in the acting org.
associated if {
	some g in role_grants
	_grants_any(g.role)
}

associated if count(reach_grants) > 0

# METADATA
# title: Highest level
# description: MODEL "Levels" - a higher level satisfies a lower one; the highest level held for a code.
max_level(code) := max([e.level | some e in for_code(code)])

# METADATA
# title: Best entry
# description: The grant that explains a permission - direct before inherited before level-3 reach, nearest org first, then role key.
best(es) := [e | some e in es; [e.rank, e.dist, e.role, e.m] == k][0] if {
	k := min([[x.rank, x.dist, x.role, x.m] | some x in es])
}

# METADATA
# title: How
# description: The allow reason naming how a permission is held (direct_role, inherited_role, level3_reach) with role and org.
how(e) := {
	"code": "direct_role", "role": e.role, "org": e.org, "permission": e.code, "level": e.level,
	"message": concat("", ["role ", e.role, " held at ", e.org]),
} if {
	e.via == "direct"
} else := {
	"code": "inherited_role", "role": e.role, "org": e.org, "permission": e.code, "level": e.level,
	"message": concat("", ["role ", e.role, " inherited from ", e.org]),
} if {
	e.via == "inherited"
} else := {
	"code": "level3_reach", "role": e.role, "org": e.org, "permission": e.code, "level": 3,
	"message": concat("", [e.code, " at level 3 of role ", e.role, " at ", e.org, " reaches ", graph.org_id]),
}

# METADATA
# title: Membership
# description: The membership behind a permission entry.
membership(e) := graph.memberships[e.m]

# METADATA
# title: Staff roles
# description: The staff subject's role keys (MODEL Entities, Staff).
staff_roles := r if {
	r := graph.staff.roles
	is_array(r)
} else := []

# METADATA
# title: Staff role covering a code
# description: |
#   MODEL Entities - `store_admin` may do everything in every tree; other staff roles list the codes they cover
#   (`store_support`: reads). The first covering role key, alphabetically.
staff_role(code) := min({key |
	some key in staff_roles
	_staff_covers(data.b2b.catalog.staffRoles[key], code)
})

_staff_covers(def, _) if def.all == true

_staff_covers(def, code) if code in def.codes

# METADATA
# title: Staff role covering an operation
# description: The first staff role key covering an administration operation (store_admin - all; store_support - reads).
staff_operation_role(op) := min({key |
	some key in staff_roles
	_staff_covers_operation(data.b2b.catalog.staffRoles[key], op)
})

_staff_covers_operation(def, _) if def.all == true

_staff_covers_operation(def, op) if op in def.operations

# METADATA
# title: Staff reason
# description: The allow reason for staff (staff actions are always logged by the sidecar).
staff_reason(key) := {"code": "staff", "role": key, "message": concat("", ["staff role ", key])}
