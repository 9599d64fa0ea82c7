# METADATA
# title: User operations
# description: |
#   `user.put`, `user.view` (MODEL "Administration") - the scope over the target user's orgs, store-wide, and what a
#   reader sees of a user (visible memberships, whether the account is editable and the email visible).
package b2b.admin.users

import data.b2b.admin.facts
import data.b2b.grants
import data.b2b.slice
import data.b2b.status

# METADATA
# title: Put guard
# description: |
#   MODEL "Administration" - a buyer edits a user's account only when it manages every org that user belongs to, in
#   every tree (`target.orgs` is store-wide; an org outside the acting tree is never in scope). `target.user` null is
#   a new user; an absent `target.user` counts as an existing user (fail closed).
put_guard := _outside("user.manage") if {
	not facts.target.user == null
	not _all_target_orgs_in_scope("user.manage")
}

# METADATA
# title: View guard
# description: MODEL "Administration" - a buyer views a known user sharing at least one org within its user.view scope.
view_guard := {
	"code": "unknown_user", "user": object.get(facts.change, "id", null),
	"message": "the target user is not known",
} if {
	not is_object(object.get(facts.target, "user", null))
} else := _outside("user.view") if {
	not _some_target_org_in_scope("user.view")
}

# MODEL "Administration": never in a sibling or another tree.
_outside(code) := {
	"code": "outside_scope", "permission": code, "org": slice.org_id,
	"message": concat("", ["the user has memberships outside the ", code, " scope of ", slice.org_id]),
}

# Editing a user: all of its memberships within scope.
_all_target_orgs_in_scope(code) if {
	count(facts.target_orgs) > 0
	every o in facts.target_orgs {
		facts.in_scope(code, o)
	}
}

# Viewing a user: one shared org within scope.
_some_target_org_in_scope(code) if {
	some o in facts.target_orgs
	facts.in_scope(code, o)
}

# METADATA
# title: View effects
# description: |
#   MODEL "Administration" - reading a user shows only memberships in orgs the reader may view (its user.view scope),
#   and the account (email) only to a reader that may edit it (user.put); staff see every membership and the account.
# scope: document
view_effects(true) := {
	"visibleOrgs": sort(facts.target_orgs),
	"accountEditable": _staff_edits_users,
	"emailVisible": true,
}

view_effects(false) := {
	"visibleOrgs": sort([o | some o in facts.target_orgs; facts.in_scope("user.view", o)]),
	"accountEditable": account_editable,
	"emailVisible": account_editable,
}

# A staff role of the actor covers user.put (always defined).
default _staff_edits_users := false

_staff_edits_users if grants.staff_operation_role("user.put")

# METADATA
# title: Account editable
# description: |
#   The buyer's user.put on the target would pass - user.manage held in org, not gated there, every org of the user
#   in its user.manage scope (always defined - true or false).
# scope: document
default account_editable := false

account_editable if {
	is_object(facts.target.user)
	count(grants.entries("user.manage")) > 0
	not status.gate("user.manage", slice.org_id)
	_all_target_orgs_in_scope("user.manage")
}
