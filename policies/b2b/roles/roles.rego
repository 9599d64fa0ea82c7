# METADATA
# title: Roles and the permission catalog
# description: |
#   Reading the permission catalog (`data.b2b.catalog`): canonical codes, BigCommerce aliases, supported levels;
#   normalizing role definitions; and the entrypoint `b2b/roles/validation` (is a role valid for the catalog).
package b2b.roles

import data.b2b.catalog

# METADATA
# title: Canonical code
# description: |
#   MODEL "Permission codes" - a catalog code is itself; a BigCommerce code from seed 004 (get_orders, purchase_enable,
#   ...) is an alias of a catalog code.
canonical(code) := code if catalog.permissions[code]

else := catalog.aliases[code]

# METADATA
# title: Supported level
# description: MODEL "Permission codes" - the catalog says which levels each code supports.
supported(code, level) if level in catalog.permissions[code].levels

# METADATA
# title: Normalized permissions
# description: |
#   A role definition's permissions as {canonical code - highest level}, keeping only entries the catalog supports
#   (a stored role is validated when saved; anything else grants nothing). BigCommerce aliases of one code merge.
permissions_of(def) := {c: max([l | some [c2, l] in pairs; c2 == c]) | some [c, _] in pairs} if {
	pairs := [[c, p.level] |
		some p in _perm_list(def)
		c := canonical(p.code)
		supported(c, p.level)
	]
}

# MODEL Role: permissions is a list of {code, level}.
_perm_list(def) := def.permissions if is_array(def.permissions)

else := []

# METADATA
# title: Checkout mode
# description: MODEL Role - `checkout` is `direct` (default) or `approval` (Emporix Requester).
checkout_of(def) := "approval" if def.checkout == "approval"

else := "direct"

# METADATA
# title: Assignable by buyers
# description: MODEL Administration - commercetools "Assignable by buyers"; absent means seller-only.
assignable(def) if def.assignableByBuyers == true

else := false

# METADATA
# title: Limit errors
# description: |
#   MODEL Role/Membership limits - `maxOrderTotal` a number >= 0, `periodBudget` {amount >= 0, period
#   day|week|month|year}.
#   `holder` is the role or membership; absent or null limits are fine.
limit_errors(holder, field) := [] if not "limits" in object.keys(holder)

else := [] if holder.limits == null

else := [_limit_error(field, "must be an object")] if not is_object(holder.limits)

else := array.concat(_max_total_errors(holder.limits, field), _budget_errors(holder.limits, field))

# MODEL Role limits: maxOrderTotal.
_max_total_errors(limits, field) := [] if not "maxOrderTotal" in object.keys(limits)

else := [] if _non_negative(limits.maxOrderTotal)

else := [_limit_error(concat(".", [field, "maxOrderTotal"]), "must be a number >= 0")]

# MODEL Role limits: periodBudget with period day/week/month/year.
_budget_errors(limits, field) := [] if not "periodBudget" in object.keys(limits)

else := [] if {
	_non_negative(limits.periodBudget.amount)
	limits.periodBudget.period in catalog.limitPeriods
}

else := [_limit_error(concat(".", [field, "periodBudget"]), "must be {amount >= 0, period day|week|month|year}")]

# An amount is a number >= 0.
_non_negative(x) if {
	is_number(x)
	x >= 0
}

# Validation error invalid_limits naming the field.
_limit_error(field, message) := {"code": "invalid_limits", "field": field, "message": concat(" ", [field, message])}

# METADATA
# title: Role validation
# description: |
#   Entrypoint `b2b/roles/validation`. Input `{"role": {key, name, permissions, assignableByBuyers, limits, checkout}}`.
#   Answer `{"valid", "errors": [{code, field, message, ...}], "role": normalized}`; aliases are accepted and
#   normalized.
#   MODEL "Permission codes" - a role granting a code at a level the catalog does not support is rejected when saved.
# entrypoint: true
validation := validate(_input_role)

# README: the role to validate is input.role.
default _input_role := null

_input_role := input.role

# METADATA
# title: Validate
# description: The validation answer for one role definition (also used by the admin operation `role.put`).
validate(role) := {
	"valid": count(errs) == 0,
	"errors": errs,
	"role": _normalized(role),
} if {
	is_object(role)
	errs := array.flatten([
		_key_errors(role), _permission_errors(role), _checkout_errors(role), _assignable_errors(role),
		limit_errors(role, "limits"),
	])
} else := {
	"valid": false,
	"errors": [{"code": "invalid_role", "field": "role", "message": "a role must be an object"}],
}

# MODEL Role - a role has a key.
_key_errors(role) := [] if {
	is_string(role.key)
	role.key != ""
} else := [{"code": "invalid_key", "field": "key", "message": "a role needs a non-empty string key"}]

# MODEL Role - permissions is a list of {code, level}.
_permission_errors(role) := [e |
	some i, p in role.permissions
	e := _permission_error(i, p)
] if {
	is_array(role.permissions)
} else := [{
	"code": "invalid_permissions",
	"field": "permissions",
	"message": "permissions must be a list of {code, level}",
}]

# The field of the i-th permission named in errors (API error details: {path, message}).
_field(i, key) := concat("", ["permissions[", format_int(i, 10), "].", key])

# MODEL "Permission codes" - unknown codes and unsupported levels are rejected.
_permission_error(i, p) := {
	"code": "unknown_permission", "field": _field(i, "code"),
	"message": "a permission needs a string code",
} if {
	not is_string(_pget(p, "code"))
} else := {
	"code": "unknown_permission", "field": _field(i, "code"), "permission": p.code,
	"message": concat("", ["unknown permission code ", p.code]),
} if {
	not canonical(p.code)
} else := {
	"code": "unsupported_level", "field": _field(i, "level"), "permission": canonical(p.code), "level": _pget(p, "level"),
	"supported": catalog.permissions[canonical(p.code)].levels,
	"message": concat("", ["level not supported by ", canonical(p.code)]),
} if {
	not supported(canonical(p.code), _pget(p, "level"))
}

# A field of a permission entry, null when absent or when the entry is not an object.
_pget(p, key) := v if {
	is_object(p)
	v := p[key]
} else := null

# MODEL Role - checkout is direct or approval.
_checkout_errors(role) := [{
	"code": "invalid_checkout",
	"field": "checkout",
	"message": "checkout must be direct or approval",
}] if {
	"checkout" in object.keys(role)
	not role.checkout in {"direct", "approval"}
} else := []

# commercetools "Assignable by buyers" is a boolean.
_assignable_errors(role) := [{
	"code": "invalid_assignable",
	"field": "assignableByBuyers",
	"message": "assignableByBuyers must be a boolean",
}] if {
	"assignableByBuyers" in object.keys(role)
	not is_boolean(role.assignableByBuyers)
} else := []

# MODEL "Permission codes": canonical codes (aliases normalized), sorted, explicit defaults.
_normalized(role) := object.union(role, {
	"permissions": [{"code": c, "level": perms[c]} | some c in sort(object.keys(perms))],
	"assignableByBuyers": assignable(role),
	"checkout": checkout_of(role),
}) if {
	perms := permissions_of(role)
}
