# METADATA
# title: Grants
# description: |
#   Role resolution in the acting org (MODEL "Who may do what in an org"): direct roles, inherited roles and the
#   level-3 reach of single permissions. Computed once per evaluation (complete rules over the input) and shared by
#   every decision of a batch.
package b2b.grants

import data.b2b.roles
import data.b2b.slice

# Role keys referenced by the subject's memberships on the acting path.
_keys contains key if {
	some m in slice.memberships
	some key in m.roles
}

# METADATA
# title: Role permissions
# description: |
#   The normalized permissions {code - level} of each role referenced by the subject's memberships on the acting path
#   (for answers that list every code; a single check reads `level_of` instead).
role_perms[key] := _perms(key) if {
	some key in _keys
	slice.role_def(key)
}

# Built-in templates are canonical with one entry per code (checked by the templates tests): read from their index
# `data.b2b.templates.levels` ({code: level} per template).
_perms(key) := p if {
	p := _custom[key]
} else := data.b2b.templates.levels[key]

# METADATA
# title: Permissions of any role
# description: |
#   The normalized permissions {code - level} of role `key` - a custom role of the slice through the catalog, else the
#   built-in template's index; undefined for an unknown key.
role_permissions(key) := roles.permissions_of(def) if {
	def := slice.raw.roles[key]
	is_object(def)
} else := data.b2b.templates.levels[key]

# Custom roles of the slice, normalized through the catalog once per evaluation.
_custom[key] := roles.permissions_of(def) if {
	some key in _keys
	def := slice.raw.roles[key]
	is_object(def)
}

# METADATA
# title: Level of a code in a role
# description: |
#   The level at which role `key` (referenced by the subject's memberships) grants `code` (canonical), undefined when it
#   does not. A custom role of the slice replaces the template of the same key entirely.
level_of(key, code) := role_perms[key][code]

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
	some l in data.b2b.templates.levels[key]
	l == 3
}

# MODEL Role: a role key unknown to the slice and the templates grants nothing.
_known(key) if _custom[key]

_known(key) if data.b2b.templates.roles[key]

# MODEL "Who may do what": the subject's grants in the acting org as tuples `[rank, dist, role, m, org, via]`
# (`rank` 0 direct, 1 inherited, 2 level-3 reach; `dist` = levels above the acting org; `m` = membership index), in
# membership and role order. Computed once per evaluation; a tuple sorts like the grant it ranks (`best`).
# MODEL rules 1 and 2: the roles held at the acting org.
_role_tuples := [[r, slice.acting_depth - m.index, key, mi, m.org, _vias[r]] |
	some mi, m in slice.memberships
	r := _role_rank(m)
	some key in m.roles
	_known(key)
]

# MODEL rule 3: level-3 permissions of memberships at an ancestor that are not inheritable (else rule 2 applies).
_reach_tuples := [[2, slice.acting_depth - m.index, key, mi, m.org, "level3_reach"] |
	some mi, m in slice.memberships
	not m.inheritable
	slice.reaches_acting(m.index)
	some key in m.roles
	_grants_level3(key)
]

# How a membership holds its roles: 0 direct (rule 1), 1 inherited (rule 2, inheritable and the path test passes).
_role_rank(m) := 0 if {
	m.index == slice.acting_depth
} else := 1 if {
	m.inheritable
	slice.reaches_acting(m.index)
}

# The `via` of each rank.
_vias := ["direct", "inherited", "level3_reach"]

# METADATA
# title: Role grants
# description: |
#   Roles the subject holds in the acting org (rules 1 and 2), each with the org of its membership and how it is held
#   (`via`, `rank` 0 direct / 1 inherited, `dist` = levels above the acting org, `m` = membership index).
role_grants := [_grant(t) | some t in _role_tuples]

# METADATA
# title: Level-3 reach grants
# description: MODEL "Who may do what" rule 3 - the memberships whose level-3 permissions reach the acting org (rank 2).
reach_grants := [_grant(t) | some t in _reach_tuples]

# A grant tuple as an object.
_grant(t) := {"role": t[2], "org": t[4], "via": t[5], "rank": t[0], "dist": t[1], "m": t[3]}

# METADATA
# title: Entries for a code
# description: |
#   The grants of one code in the acting org as tuples `[rank, dist, role, m, level, org, via]`: a role grant at the
#   level its role grants the code, a level-3 reach where its role grants the code at level 3. One lookup per grant;
#   the smallest tuple is the best grant.
entries(code) := array.concat(
	[[t[0], t[1], t[2], t[3], l, t[4], t[5]] | some t in _role_tuples; l := level_of(t[2], code)],
	[[2, t[1], t[2], t[3], 3, t[4], "level3_reach"] | some t in _reach_tuples; level_of(t[2], code) == 3],
)

# METADATA
# title: Entries for a code, as objects
# description: The grants of one code in the acting org, each as {role, org, via, rank, dist, m, code, level}.
for_code(code) := [{
	"role": e[2],
	"org": e[5],
	"via": e[6],
	"rank": e[0],
	"dist": e[1],
	"m": e[3],
	"code": code,
	"level": e[4],
} |
	some e in entries(code)
]

# METADATA
# title: Held codes
# description: Every code the subject holds in the acting org.
codes := {code | some t in _role_tuples; some code, _ in role_perms[t[2]]} | {code |
	some t in _reach_tuples
	some code, level in role_perms[t[2]]
	level == 3
}

# METADATA
# title: Associated
# description: |
#   MODEL - some membership on the acting path grants something in the acting org. Always defined (true or false),
#   so it is computed once per evaluation.
associated if {
	some t in _role_tuples
	_grants_any(t[2])
} else := count(_reach_tuples) > 0

# METADATA
# title: Highest level
# description: MODEL "Levels" - a higher level satisfies a lower one; the highest level held for a code.
max_level(code) := max([e[4] | some e in entries(code)])

# METADATA
# title: Best entry
# description: |
#   The grant that explains a permission - direct before inherited before level-3 reach, nearest org first, then role
#   key.
best(es) := [e | some e in es; [e.rank, e.dist, e.role, e.m] == k][0] if {
	k := min([[x.rank, x.dist, x.role, x.m] | some x in es])
}

# METADATA
# title: How
# description: |
#   The allow reason naming how a permission is held (direct_role, inherited_role, level3_reach) with role and org.
how(e) := held_reason(e.via, e.role, e.org, e.code, e.level)

# METADATA
# title: How an entry is held
# description: The allow reason of an entry tuple of `entries(code)`.
how_entry(e, code) := held_reason(e[6], e[2], e[5], code, e[4])

# METADATA
# title: Held reason
# description: direct_role, inherited_role or level3_reach, with role, org, permission and level.
held_reason(via, role, org, code, level) := {
	"code": "direct_role", "role": role, "org": org, "permission": code, "level": level,
	"message": concat("", ["role ", role, " held at ", org]),
} if {
	via == "direct"
} else := {
	"code": "inherited_role", "role": role, "org": org, "permission": code, "level": level,
	"message": concat("", ["role ", role, " inherited from ", org]),
} if {
	via == "inherited"
} else := {
	"code": "level3_reach", "role": role, "org": org, "permission": code, "level": 3,
	"message": concat("", [code, " at level 3 of role ", role, " at ", org, " reaches ", slice.org_id]),
}

# METADATA
# title: Limits of an entry
# description: |
#   MODEL Membership - the limits of the grant behind an entry tuple, the membership's overriding the role's field by
#   field.
limits(e) := object.union(role_limits(e[2]), slice.memberships[e[3]].limits)

# METADATA
# title: Role limits
# description: MODEL Role - the optional `limits` of a role (custom or template), else none.
role_limits(key) := l if {
	l := slice.role_def(key).limits
	is_object(l)
} else := {}

# METADATA
# title: Staff roles
# description: The staff subject's role keys (MODEL Entities, Staff).
# scope: document
default staff_roles := []

staff_roles := r if {
	r := slice.staff.roles
	is_array(r)
}

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
