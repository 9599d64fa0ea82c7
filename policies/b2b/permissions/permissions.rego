# METADATA
# title: Effective permissions
# description: |
#   Entrypoint `b2b/permissions/effective` - the subject's effective roles and permissions in `org`, each with where it
#   comes from (API `POST /v1/permissions`), for rendering a buyer portal.
package b2b.permissions

import data.b2b.catalog
import data.b2b.grants
import data.b2b.refusals
import data.b2b.slice
import data.b2b.status

# METADATA
# title: Effective
# description: |
#   {roles [{key, from, via direct|inherited|staff}], permissions [{code, level, from ["role@ORG"]}], orgStatus,
#   gated (held codes the org's status refuses now), reasons (why nothing is effective, or why the org refuses acting)}.
#   MODEL "Who may do what" rules 1-3; level-3 reach adds permissions, not roles.
# entrypoint: true
effective := _refused(refusals.subject_or_org) if {
	count(refusals.subject_or_org) > 0
} else := _staff if {
	slice.is_staff
} else := {
	"roles": _roles,
	"permissions": _permissions,
	"orgStatus": slice.status_of(slice.org_id),
	"gated": _gated,
	"reasons": refusals.buyer_any,
}

# API: orgStatus of the acting org, null when the org is unknown.
default _org_status := null

_org_status := slice.status_of(slice.org_id) if slice.acting

# Nothing is effective for an unknown or disabled subject, or an unknown org (`[reason]`).
_refused(rs) := {"roles": [], "permissions": [], "orgStatus": _org_status, "gated": [], "reasons": rs}

# MODEL rules 1-2: roles held, direct first, then inherited from the nearest ancestor.
_roles := [{"key": k[2], "from": k[3], "via": k[4]} |
	some k in sort([[g.rank, g.dist, g.role, g.org, g.via] | some g in grants.role_grants])
]

# MODEL "Levels": each held code at its highest level, with the grants at that level.
_permissions := [{"code": code, "level": level, "from": _from(es, level)} |
	some code in sort(grants.codes)
	es := grants.entries(code)
	level := max([e[4] | some e in es])
]

# API: `from` as sorted "role@ORG".
_from(es, level) := sort({concat("@", [e[2], e[5]]) | some e in es; e[4] == level})

# MODEL "Status": held codes the acting org's status refuses for buyers now.
_gated := [] if {
	status.open(slice.status_of(slice.org_id))
} else := sort({code |
	some code in grants.codes
	status.gate(code, slice.org_id)
})

# MODEL Entities, Staff: staff roles cover codes everywhere, at the highest level, whatever the org's status.
_staff := {
	"roles": [{"key": key, "from": "staff", "via": "staff"} |
		some key in sort({k | some k in grants.staff_roles; catalog.staffRoles[k]})
	],
	"permissions": [{"code": code, "level": max(catalog.permissions[code].levels), "from": from} |
		some code in sort(object.keys(catalog.permissions))
		from := sort({concat("@", [key, "staff"]) |
			some key in grants.staff_roles
			_staff_has(key, code)
		})
		count(from) > 0
	],
	"orgStatus": slice.status_of(slice.org_id),
	"gated": [],
	"reasons": [],
}

# MODEL Entities, Staff: the codes a staff role covers.
_staff_has(key, _) if catalog.staffRoles[key].all == true

_staff_has(key, code) if code in catalog.staffRoles[key].codes
