# METADATA
# title: Administration facts
# description: |
#   What every administration operation reads of its input (README "Admin decisions") - the change, the target,
#   the store settings - and the scope of the actor's grants of a code in `org`.
package b2b.admin.facts

import data.b2b.grants
import data.b2b.slice

# METADATA
# title: Change
# description: README admin - `input.change`, or an empty object.
# scope: document
default change := {}

change := c if {
	c := input.change
	is_object(c)
}

# METADATA
# title: Target
# description: README admin - `slice.target` (the target user and its current membership or orgs), or an empty object.
# scope: document
default target := {}

target := t if {
	t := slice.raw.target
	is_object(t)
}

# METADATA
# title: Has org
# description: The operation names an org (a top-level org.create, role.put, import and export come without one).
has_org if is_string(slice.org_id)

# METADATA
# title: Staff only
# description: README reason `staff_only`, naming the field reserved to staff unless `field` is empty.
staff_only(op, field) := {
	"code": "staff_only", "operation": op,
	"message": concat("", [op, " is reserved to staff"]),
} if {
	field == ""
} else := {
	"code": "staff_only", "operation": op, "field": field,
	"message": concat("", ["changing ", field, " is reserved to staff"]),
}

# METADATA
# title: Settings
# description: Store settings (maxDepth, maxOrgs, buyerOrgStatus, buyerOrgRole).
settings := slice.settings

# METADATA
# title: Target orgs
# description: README admin user.put/user.view - `target.orgs`, the target user's orgs store-wide.
# scope: document
default target_orgs := []

target_orgs := o if {
	o := target.orgs
	is_array(o)
}

# METADATA
# title: In scope
# description: |
#   MODEL "Administration" - an org within the scope of `code` held in `org` (level 2 that org; level 3 and its reached
#   subtree).
# scope: document
in_scope(_, o) if o == slice.org_id

in_scope(code, o) if {
	grants.max_level(code) == 3
	slice.reached(o)
}
