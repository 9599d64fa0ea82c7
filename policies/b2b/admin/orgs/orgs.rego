# METADATA
# title: Org operations
# description: |
#   `org.create`, `org.update`, `org.reparent`, `org.tree` (MODEL Entities, "Administration") - tree invariants,
#   the self-service guards on an org's seller-owned fields, and the effects (created org's status and creator
#   roles, the visible orgs of a tree).
package b2b.admin.orgs

import data.b2b.admin.facts
import data.b2b.slice
import data.b2b.status
import data.b2b.trees

# METADATA
# title: Create invariants
# description: |
#   MODEL Entities - `org.create` lands under the org of the request, within the depth and size limits, as
#   `[reason]`; undefined when they hold.
create_invariants := [_parent_mismatch] if {
	not _parent_matches
} else := [_create_limits] if {
	facts.has_org
}

# METADATA
# title: Reparent invariants
# description: |
#   MODEL Entities - `org.reparent` under a known new parent, without a cycle, within the depth and size limits, as
#   `[reason]`; undefined when they hold.
reparent_invariants := [_reparent_invariant]

# A numeric fact, or its default.
_number(x, d) := x if is_number(x)

else := d

# README admin: tree.size of the parent's tree.
default _tree_size := 0

_tree_size := n if {
	n := slice.raw.tree.size
	is_number(n)
}

# README admin org.create: the org lands under `org` (absent for a top-level org), where the actor's grants and the
# tree limits are evaluated, so `change.parent` must name the same org.
_parent_matches if _new_parent == _request_org

# README admin: the org of the request (absent for a top-level org.create).
default _request_org := null

_request_org := input.org

_parent_mismatch := {
	"code": "parent_mismatch", "org": _request_org, "parent": _new_parent,
	"message": "org.create lands in its parent: change.parent must be the org of the request",
}

# MODEL "Administration": creating a child org respects the depth and size limits.
_create_limits := trees.depth_limit(count(slice.acting_path) + 1) if {
	count(slice.acting_path) + 1 > facts.settings.maxDepth
} else := trees.size_limit(_tree_size + 1) if {
	_tree_size + 1 > facts.settings.maxOrgs
}

# README admin org.reparent: change.parent, null for a new top-level org.
default _new_parent := null

_new_parent := p if {
	p := facts.change.parent
	is_string(p)
}

# README admin org.reparent: subtree {height, size} of the moved org.
default _subtree := {}

_subtree := s if {
	s := slice.raw.subtree
	is_object(s)
}

# Height of the moved subtree (1 = a leaf).
_subtree_height := _number(object.get(_subtree, "height", 1), 1)

# Size of the moved subtree.
_subtree_size := _number(object.get(_subtree, "size", 1), 1)

# README admin org.reparent: targetTree.size of the new parent's tree.
default _target_tree_size := 0

_target_tree_size := n if {
	n := slice.raw.targetTree.size
	is_number(n)
}

# MODEL Entities: trees stay disjoint and acyclic within the limits when staff re-parent an org.
_reparent_invariant := status.unknown_org(_new_parent) if {
	_new_parent != null
	not slice.orgs[_new_parent]
} else := {
	"code": "cycle", "org": slice.org_id, "parent": _new_parent,
	"message": concat("", ["org ", _new_parent, " is ", slice.org_id, " or one of its descendants"]),
} if {
	_new_parent != null
	slice.org_id in slice.orgs[_new_parent].path
} else := trees.depth_limit(count(slice.orgs[_new_parent].path) + _subtree_height) if {
	_new_parent != null
	count(slice.orgs[_new_parent].path) + _subtree_height > facts.settings.maxDepth
} else := trees.depth_limit(_subtree_height) if {
	_new_parent == null
	_subtree_height > facts.settings.maxDepth
} else := trees.size_limit(_target_tree_size + _subtree_size) if {
	_new_parent != null
	slice.orgs[_new_parent].path[0] != slice.root
	_target_tree_size + _subtree_size > facts.settings.maxOrgs
}

# METADATA
# title: Update guard
# description: |
#   MODEL "Administration" - status and inheritance of an org, and its place in the tree, are the seller's (the first
#   such field of the patch is named).
update_guard := facts.staff_only("org.update", field) if {
	field := [f | some f in ["inheritRoles", "parent", "status"]; f in object.keys(facts.change)][0]
}

# METADATA
# title: Create guard
# description: |
#   MODEL "Administration" - status, inheritance and place in the tree are the seller's on creation as on update
#   (status is not refused but replaced by the store's buyerOrgStatus, see the effects).
create_guard := facts.staff_only("org.create", "inheritRoles") if "inheritRoles" in object.keys(facts.change)

# METADATA
# title: Create effects
# description: |
#   commercetools "Business units created by buyers are inactive" and "default associate role" (store settings);
#   staff keep the status they ask for.
# scope: document
create_effects(false) := {"status": facts.settings.buyerOrgStatus, "creatorRoles": [facts.settings.buyerOrgRole]}

create_effects(true) := {"status": object.get(facts.change, "status", "active"), "creatorRoles": []}

# METADATA
# title: Tree effects
# description: |
#   MODEL "Administration" - reading an org's tree shows only the orgs the reader may view - staff every org of the
#   subtree; a buyer org and the descendants its org.view_subsidiaries reaches under the path test (an opt-out cuts
#   its subtree off) whose status, and their ancestors' below org, let buyers read them.
# scope: document
tree_effects(true) := {"visibleOrgs": sort([id | some id, _ in slice.orgs; slice.in_subtree(id)])}

tree_effects(false) := {"visibleOrgs": sort([id |
	some id, _ in slice.orgs
	_tree_visible(id)
])}

# An org of the tree a buyer may view: org itself, or a descendant reached under the path test whose path below org
# holds no org gated for org.view (a tree hides a hidden org's subtree with it).
_tree_visible(id) if id == slice.org_id

_tree_visible(id) if {
	slice.reached(id)
	count([x |
		some j, x in slice.orgs[id].path
		j > slice.acting_depth
		status.gate("org.view", x)
	]) == 0
}
