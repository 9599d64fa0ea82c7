# METADATA
# title: Graph slice
# description: |
#   Reading the one-tree slice the sidecar sends (README "The input contract"):
#   the subject, the acting org, org paths, the memberships on the acting path and the path test.
#   Nothing here iterates the whole slice: ancestry is read from each org's `path`.
package b2b.slice

# METADATA
# title: Raw slice
# description: The slice as sent (`input.graph`), or an empty object.
# scope: document
default raw := {}

raw := g if {
	g := input.graph
	is_object(g)
}

# METADATA
# title: Orgs
# description: The orgs of the slice keyed by id; an id missing here is unknown.
# scope: document
default orgs := {}

orgs := o if {
	o := raw.orgs
	is_object(o)
}

# METADATA
# title: Settings
# description: |
#   Store settings, the sidecar's `input.settings` over the catalog defaults (BigCommerce 5 levels / 500 companies;
#   commercetools buyer-created units).
settings := object.union(data.b2b.catalog.settings, s) if {
	s := input.settings
	is_object(s)
} else := data.b2b.catalog.settings

# METADATA
# title: Subject id
# description: The id of the subject (user or staff).
subject_id := input.subject.id

# METADATA
# title: Subject kind
# description: "`user` (default) or `staff`."
# scope: document
default subject_kind := "user"

subject_kind := k if {
	k := input.subject.kind
	is_string(k)
}

# METADATA
# title: Is staff
# description: |
#   The subject is a seller-side staff member (MODEL Entities, Staff); always defined (true or false), so it is computed
#   once per evaluation.
# scope: document
default is_staff := false

is_staff if subject_kind == "staff"

# METADATA
# title: User
# description: The subject's user record when the subject is a known user (MODEL Entities, User).
user := u if {
	subject_kind == "user"
	u := raw.user
	is_object(u)
	u.id == subject_id
}

# METADATA
# title: Staff
# description: The subject's staff record when the subject is known staff.
staff := s if {
	is_staff
	s := raw.staff
	is_object(s)
	s.id == subject_id
}

# METADATA
# title: Acting org id
# description: The org the subject acts in (admin - the org the operation lands in).
org_id := input.org

# METADATA
# title: Acting org
# description: The acting org's record, undefined when unknown.
acting := orgs[org_id]

# METADATA
# title: Acting path
# description: The acting org's ancestors from the tree root down to itself.
acting_path := acting.path

# METADATA
# title: Acting depth
# description: Index of the acting org in its own path (0 for a top-level org).
acting_depth := count(acting_path) - 1

# METADATA
# title: Tree root
# description: The root of the acting org's tree.
root := acting_path[0]

# METADATA
# title: Tree settings
# description: MODEL Entities - the top-level org carries `overLimit` (approval by default, or deny).
# scope: document
default over_limit := "approval"

over_limit := o if {
	o := raw.tree.overLimit
	o in {"approval", "deny"}
}

# METADATA
# title: Org status
# description: An org's status, `active` when absent (API import default).
status_of(id) := s if {
	s := orgs[id].status
	is_string(s)
} else := "active"

# METADATA
# title: Status value
# description: An org record's `status` value as `status_of` reads it (`active` unless a string).
status_value(s) := s if is_string(s)

else := "active"

# METADATA
# title: Inherits roles
# description: |
#   MODEL Entities - does an org accept role assignments cascading from its ancestors (commercetools associateMode
#   ExplicitAndFromParent); default true.
inherits(id) if not orgs[id].inheritRoles == false

# MODEL "Who may do what" rule 2: the deepest org on the acting path that opts out of inheritance; ancestors above it
# cannot reach the acting org.
_floor := max(array.concat([0], [i | some i, id in acting_path; i > 0; not inherits(id)]))

# METADATA
# title: Reaches acting org
# description: |
#   MODEL "Who may do what" rules 2 and 3, the path test: every org on the acting path below the ancestor
#   at path index `i`, down to the acting org, has inheritRoles = true (an opt-out cuts the chain for its subtree).
reaches_acting(i) if {
	i < acting_depth
	i >= _floor
}

# METADATA
# title: Path index
# description: Index of each org on the acting path (root = 0).
path_index[id] := i if some i, id in acting_path

# METADATA
# title: In acting subtree
# description: The org `id` is the acting org or one of its descendants (its path passes through the acting org).
in_subtree(id) if orgs[id].path[acting_depth] == org_id

# METADATA
# title: Reached from acting org
# description: |
#   MODEL "Who may do what", level 3 - the org `id` is a descendant of the acting org reached under the path test
#   (every org below the acting org down to `id` inherits roles); Elastic Path "purchases of any child account in the
#   subtree".
reached(id) if reached_path(orgs[id].path)

# METADATA
# title: Reached path
# description: |
#   `reached` for an org given by its path - the path passes through the acting org, goes below it, and no org below
#   the acting org on it opts out of inheritance. One pass over the subtree uses it without looking the org up again.
reached_path(p) if {
	p[acting_depth] == org_id
	count(p) > _path_len
	not _cut_below_acting(p)
}

# The length of the acting path (a descendant's path is longer).
_path_len := count(acting_path)

# MODEL rule 3 path test below the acting org: an org that opts out of inheritance stops the reach
# (the path is only scanned when the slice holds an opt-out at all).
_cut_below_acting(p) if {
	[d, cuts] := _cut_facts
	some j, x in p
	j > d
	x in cuts
}

# The acting depth and the opt-outs, when the slice holds any (always defined, so computed once per evaluation).
default _cut_facts := []

_cut_facts := [acting_depth, opt_outs] if _any_opt_out

# METADATA
# title: Opt-outs
# description: The orgs of the slice that opt out of inheritance (`inheritRoles` false), once per evaluation.
opt_outs contains id if {
	some id, o in orgs
	o.inheritRoles == false
}

# Some org of the slice opts out of inheritance.
default _any_opt_out := false

_any_opt_out if count(opt_outs) > 0

# METADATA
# title: Same tree
# description: |
#   MODEL Entities - trees are disjoint; an org belongs to the acting tree when its path starts at the acting root.
same_tree(id) if orgs[id].path[0] == root

# METADATA
# title: Memberships on the acting path
# description: |
#   The subject's memberships at orgs on the acting path, each with its path index. Memberships elsewhere
#   grant nothing here (MODEL - authority never flows up or sideways, never crosses trees).
memberships := [m |
	some raw in _raw_memberships
	is_object(raw)
	i := path_index[raw.org]
	m := {
		"org": raw.org,
		"index": i,
		"inheritable": _inheritable(raw),
		"roles": _roles_of(raw),
		"limits": _limits_of(raw),
	}
]

# README input contract: raw.memberships is the subject's memberships.
default _raw_memberships := []

_raw_memberships := ms if {
	ms := raw.memberships
	is_array(ms)
}

# API import defaults - `inheritable` true (commercetools "Children will inherit" on by default).
_inheritable(m) := false if m.inheritable == false

else := true

# MODEL Membership: roles (1 to 5 keys; admin membership.put enforces the count).
_roles_of(m) := m.roles if is_array(m.roles)

else := []

# MODEL Membership: optional limits overriding the role's.
_limits_of(m) := m.limits if is_object(m.limits)

else := {}

# METADATA
# title: Role definition
# description: A role by key - the slice's custom role (`raw.roles`) overrides the built-in template of the same key.
role_def(key) := r if {
	r := raw.roles[key]
	is_object(r)
} else := data.b2b.templates.roles[key]
