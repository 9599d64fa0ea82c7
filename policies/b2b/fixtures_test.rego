# METADATA
# title: Test fixtures
# description: |
#   Shared slices for the package tests. One tree (ACME) shaped like the seeds' examples:
#   ACME > EU > DE > BER, ACME > EU > FR, ACME > US; plus a second tree (GLOBEX) for cross-tree tests.
package b2b.fixtures_test

# METADATA
# title: Orgs
# description: The ACME tree, all active and inheriting, each with its path.
orgs := {
	"ACME": {"parent": null, "status": "active", "inheritRoles": true, "path": ["ACME"]},
	"EU": {"parent": "ACME", "status": "active", "inheritRoles": true, "path": ["ACME", "EU"]},
	"DE": {"parent": "EU", "status": "active", "inheritRoles": true, "path": ["ACME", "EU", "DE"]},
	"BER": {"parent": "DE", "status": "active", "inheritRoles": true, "path": ["ACME", "EU", "DE", "BER"]},
	"FR": {"parent": "EU", "status": "active", "inheritRoles": true, "path": ["ACME", "EU", "FR"]},
	"US": {"parent": "ACME", "status": "active", "inheritRoles": true, "path": ["ACME", "US"]},
	"GLOBEX": {"parent": null, "status": "active", "inheritRoles": true, "path": ["GLOBEX"]},
}

# METADATA
# title: Patch org
# description: The fixture orgs with one org patched.
patch_org(id, patch) := object.union(orgs, {id: object.union(orgs[id], patch)})

# METADATA
# title: Input
# description: A user input acting in `org` with `memberships` (the user carol).
mk(org, memberships) := {
	"subject": {"id": "carol"},
	"org": org,
	"graph": {
		"user": {"id": "carol", "status": "active"},
		"tree": {"root": "ACME", "size": 6, "overLimit": "approval"},
		"orgs": orgs,
		"memberships": memberships,
	},
}

# METADATA
# title: Check input
# description: A check input.
chk(org, memberships, action, resource) := object.union(mk(org, memberships), {"action": action, "resource": resource})

# METADATA
# title: Staff input
# description: A staff subject with `roles` acting in `org`.
staff(org, roles) := {
	"subject": {"id": "ops-1", "kind": "staff"},
	"org": org,
	"graph": {
		"staff": {"id": "ops-1", "roles": roles},
		"tree": {"root": "ACME", "size": 6, "overLimit": "approval"},
		"orgs": orgs,
	},
}

# METADATA
# title: Membership
# description: A membership at `org` with `roles`.
m(org, roles, inheritable) := {"org": org, "roles": roles, "inheritable": inheritable}
