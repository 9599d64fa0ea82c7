# METADATA
# title: Role operations
# description: |
#   `role.put` (staff only) - validated against the catalog, the normalized role as its effect.
package b2b.admin.roles

import data.b2b.admin.facts
import data.b2b.roles

# METADATA
# title: Put invariants
# description: MODEL "Permission codes" - a role must pass `b2b/roles/validation`; its errors are the reasons.
put_invariants := v.errors if {
	v := roles.validate(facts.change)
	not v.valid
}

# METADATA
# title: Put effects
# description: MODEL Role - the store saves the normalized role (canonical codes, explicit defaults).
put_effects := {"role": roles.validate(facts.change).role}
