# METADATA
# title: Tree limits
# description: |
#   MODEL Entities - a tree has at most `settings.maxDepth` levels and `settings.maxOrgs` orgs (BigCommerce: 5 layers,
#   500 companies per hierarchy). The two refusals are written here once - `b2b.admin.orgs` refuses a created or
#   re-parented org with them, and the entrypoint `limits` judges the trees an import leaves, from the shapes the store
#   computes under its lock. The store's own re-check (two writers racing) reports the same codes.
package b2b.trees

import data.b2b.slice

# METADATA
# title: Depth limit
# description: MODEL Entities - the refusal of a tree `depth` levels deep (more than `settings.maxDepth`).
depth_limit(depth) := {
	"code": "depth_limit", "depth": depth, "max": slice.settings.maxDepth,
	"message": concat("", ["a tree has at most ", format_int(slice.settings.maxDepth, 10), " levels"]),
}

# METADATA
# title: Size limit
# description: MODEL Entities - the refusal of a tree of `size` orgs (more than `settings.maxOrgs`).
size_limit(size) := {
	"code": "size_limit", "size": size, "max": slice.settings.maxOrgs,
	"message": concat("", ["a tree has at most ", format_int(slice.settings.maxOrgs, 10), " orgs"]),
}

# METADATA
# title: Limits
# description: |
#   {reasons} for the trees of `input.trees` (each {root, size, height, deepest}: its orgs, its levels and an org at the
#   deepest level, as an import would leave it) - first `size_limit` for each tree over `maxOrgs`, then `depth_limit`
#   for each tree over `maxDepth`, in the order of `input.trees`, each naming the tree (`root`, and `org` for depth);
#   `[]` when every tree is within the limits.
# entrypoint: true
limits := {"reasons": array.concat(
	[object.union(size_limit(t.size), _named(t.root, "", _size_message(t))) |
		some t in _trees
		t.size > slice.settings.maxOrgs
	],
	[object.union(depth_limit(t.height), _named(t.root, t.deepest, _depth_message(t))) |
		some t in _trees
		t.height > slice.settings.maxDepth
	],
)}

# README "Tree limits": `input.trees`, the well-formed entries only (a malformed one cannot refuse or pass anything).
_trees := [t |
	some t in object.get(input, "trees", [])
	is_string(t.root)
	is_number(t.size)
	is_number(t.height)
	is_string(t.deepest)
]

# The tree a refusal is about, and a message naming it.
_named(root, "", message) := {"root": root, "message": message}

_named(root, org, message) := {"root": root, "org": org, "message": message} if org != ""

_size_message(t) := concat("", [
	"tree ", t.root, " would have ", format_int(t.size, 10), " orgs; a tree has at most ",
	format_int(slice.settings.maxOrgs, 10), " orgs",
])

_depth_message(t) := concat("", [
	"tree ", t.root, " would be ", format_int(t.height, 10), " levels deep (org ", t.deepest, "); a tree has at most ",
	format_int(slice.settings.maxDepth, 10), " levels",
])
