package b2b.roles_test

import data.b2b.catalog
import data.b2b.roles
import data.b2b.templates

# BigCommerce (seed 004): every permission code of the B2B Edition table maps to a catalog code.
bigcommerce_codes := {
	"get_addresses": "address.view", "get_address_detail": "address.view",
	"get_default_shipping": "address.view", "get_default_billing": "address.view",
	"create_address": "address.manage", "update_address": "address.manage", "delete_address": "address.manage",
	"get_invoices": "invoice.view", "get_invoice_detail": "invoice.view", "export_invoices": "invoice.view",
	"get_invoice_pdf": "invoice.view", "get_invoice_payments_history": "invoice.view", "pay_invoice": "invoice.pay",
	"get_orders": "order.view", "get_order_detail": "order.view",
	"get_quotes": "quote.view", "get_quote_detail": "quote.view", "get_quote_pdf": "quote.view",
	"create_quote": "quote.create", "update_quote_message": "quote.create", "checkout_with_quote": "quote.checkout",
	"get_shopping_lists": "list.view", "get_shopping_list_detail": "list.view",
	"create_shopping_list": "list.manage", "deplicate_shopping_list": "list.manage", "update_shopping_list": "list.manage",
	"submit_shopping_list_for_approval": "list.submit", "approve_draft_shopping_list": "list.approve",
	"delete_shopping_list": "list.manage", "create_shopping_list_item": "list.manage",
	"update_shopping_list_item": "list.manage", "delete_shopping_list_item": "list.manage",
	"get_users": "user.view", "get_user_detail": "user.view",
	"create_user": "user.manage", "update_user": "user.manage", "delete_user": "user.manage",
	"get_roles": "role.view", "purchase_enable": "order.place", "get_company_subsidiaries": "org.view_subsidiaries",
}

test_success_bigcommerce_every_seed_code_is_an_alias if {
	every code, canonical in bigcommerce_codes {
		roles.canonical(code) == canonical
	}
}

test_success_catalog_codes_are_canonical if {
	every code, _ in catalog.permissions {
		roles.canonical(code) == code
	}
	count(catalog.permissions) == 25
}

test_fail_unknown_code_has_no_canonical if {
	not roles.canonical("order.explode")
	not roles.canonical(42)
}

# MODEL catalog table: levels per code.
test_success_catalog_levels if {
	roles.supported("order.view", 1)
	roles.supported("order.place", 3)
	roles.supported("org.view_subsidiaries", 3)
	catalog.permissions["order.place"].transactional
	not catalog.permissions["order.view"].transactional
}

test_fail_catalog_unsupported_levels if {
	not roles.supported("order.place", 1)
	not roles.supported("org.view_subsidiaries", 2)
	not roles.supported("catalog.browse", 4)
}

# Every built-in template passes b2b/roles/validation and is already canonical (one entry per code, sorted).
test_success_every_template_valid_and_canonical if {
	every key, t in templates.roles {
		v := roles.validate(t)
		v.valid
		v.errors == []
		v.role.permissions == t.permissions
		t.key == key
		is_boolean(t.assignableByBuyers)
		t.checkout in {"direct", "approval"}
	}
}

# templates.levels indexes each template's permissions ({code: level}, read once per lookup instead of scanning the
# list); it must say exactly what the template says.
test_success_template_levels_index_matches_permissions if {
	object.keys(templates.levels) == object.keys(templates.roles)
	every key, t in templates.roles {
		templates.levels[key] == {p.code: p.level | some p in t.permissions}
	}
}

# No privilege escalation is possible between a platform's admin and the roles it assigns.
test_success_template_admins_cover_their_platform if {
	every pair in [
		["org_admin", "buyer"], ["org_admin", "viewer"], [
			"org_admin",
			"bc_senior_buyer",
		],
		["org_admin", "ep_buyer_admin"],
		["bc_admin", "bc_senior_buyer"], ["bc_admin", "bc_junior_buyer"], ["ct_admin", "ct_buyer"],
		["ep_buyer_admin", "ep_buyer"], ["ep_buyer_admin", "ep_catalog_browser"],
		["emp_admin", "emp_buyer"], ["emp_admin", "emp_requester"], ["emp_admin", "emp_shared_orders"],
	] {
		admin := roles.permissions_of(templates.roles[pair[0]])
		every code, level in roles.permissions_of(templates.roles[pair[1]]) {
			admin[code] >= level
		}
	}
}

# BigCommerce: the junior buyer cannot purchase, submits shopping lists; the senior buyer purchases.
test_success_bigcommerce_junior_and_senior_buyer if {
	junior := roles.permissions_of(templates.roles.bc_junior_buyer)
	not junior["order.place"]
	junior["list.submit"] == 1
	roles.permissions_of(templates.roles.bc_senior_buyer)["order.place"] == 2
}

test_success_emporix_requester_checkout_approval if {
	roles.checkout_of(templates.roles.emp_requester) == "approval"
	roles.checkout_of(templates.roles.emp_buyer) == "direct"
	roles.checkout_of({}) == "direct"
}

test_success_normalizes_aliases_and_merges if {
	roles.permissions_of({"permissions": [
		{"code": "get_orders", "level": 1},
		{"code": "get_order_detail", "level": 3},
		{"code": "purchase_enable", "level": 2},
		{"code": "purchase_enable", "level": 1},
		{"code": "nope", "level": 2},
	]}) == {"order.view": 3, "order.place": 2}
}

test_fail_permissions_of_without_list if {
	roles.permissions_of({"permissions": "all"}) == {}
	roles.permissions_of({}) == {}
}

test_success_validation_bigcommerce_role_with_aliases if {
	v := roles.validation with input as {"role": {
		"key": "bc_custom", "name": "Custom",
		"permissions": [
			{"code": "get_orders", "level": 2},
			{"code": "get_order_detail", "level": 2},
			{"code": "purchase_enable", "level": 2},
		],
		"assignableByBuyers": true,
		"limits": {"maxOrderTotal": 1000, "periodBudget": {"amount": 5000, "period": "month"}},
	}}
	v == {
		"valid": true,
		"errors": [],
		"role": {
			"key": "bc_custom", "name": "Custom",
			"permissions": [{"code": "order.place", "level": 2}, {"code": "order.view", "level": 2}],
			"assignableByBuyers": true, "checkout": "direct",
			"limits": {"maxOrderTotal": 1000, "periodBudget": {"amount": 5000, "period": "month"}},
		},
	}
}

test_fail_validation_unknown_code_and_unsupported_level if {
	v := roles.validation with input as {"role": {
		"key": "x",
		"permissions": [
			{"code": "order.explode", "level": 2},
			{"code": "purchase_enable", "level": 1},
			{"code": 7, "level": 1},
			{"code": "org.view_subsidiaries"},
		],
	}}
	v == {
		"valid": false,
		"errors": [
			{
				"code": "unknown_permission",
				"field": "permissions[0].code",
				"permission": "order.explode",
				"message": "unknown permission code order.explode",
			},
			{
				"code": "unsupported_level",
				"field": "permissions[1].level",
				"permission": "order.place",
				"level": 1,
				"supported": [2, 3],
				"message": "level not supported by order.place",
			},
			{
				"code": "unknown_permission",
				"field": "permissions[2].code",
				"message": "a permission needs a string code",
			},
			{
				"code": "unsupported_level",
				"field": "permissions[3].level",
				"permission": "org.view_subsidiaries",
				"level": null,
				"supported": [3],
				"message": "level not supported by org.view_subsidiaries",
			},
		],
		"role": {"key": "x", "permissions": [], "assignableByBuyers": false, "checkout": "direct"},
	}
}

test_fail_validation_key_checkout_assignable_limits if {
	v := roles.validation with input as {"role": {
		"key": "",
		"permissions": "everything",
		"checkout": "later",
		"assignableByBuyers": "yes",
		"limits": {"maxOrderTotal": "lots", "periodBudget": {"amount": 5, "period": "fortnight"}},
	}}
	[e.code | some e in v.errors] == [
		"invalid_key",
		"invalid_permissions",
		"invalid_checkout",
		"invalid_assignable",
		"invalid_limits",
		"invalid_limits",
	]
	[e.field | some e in v.errors] == [
		"key",
		"permissions",
		"checkout",
		"assignableByBuyers",
		"limits.maxOrderTotal",
		"limits.periodBudget",
	]
	every e in v.errors {
		not "path" in object.keys(e)
	}
	not v.valid
}

test_fail_validation_limits_not_object if {
	roles.limit_errors(
		{"limits": 5},
		"limits",
	) == [{"code": "invalid_limits", "field": "limits", "message": "limits must be an object"}]
}

test_success_validation_limits_absent_or_null if {
	roles.limit_errors({}, "limits") == []
	roles.limit_errors({"limits": null}, "limits") == []
	roles.limit_errors({"limits": {"periodBudget": {"amount": 0, "period": "year"}}}, "limits") == []
}

test_fail_validation_role_not_object if {
	roles.validation == {
		"valid": false,
		"errors": [{"code": "invalid_role", "field": "role", "message": "a role must be an object"}],
	} with input as {"role": "buyer"}
	roles.validate([]) == roles.validation with input as {"role": "buyer"}
	not roles.validation.valid with input as {}
}

test_success_assignable_default_false if {
	roles.assignable({"assignableByBuyers": true})
	not roles.assignable({})
	roles.assignable({}) == false
}

test_fail_validation_malformed_permission_entries if {
	v := roles.validate({"key": "x", "permissions": ["order.view", {"level": 2}, {"code": "order.view"}]})
	v.errors == [
		{"code": "unknown_permission", "field": "permissions[0].code", "message": "a permission needs a string code"},
		{"code": "unknown_permission", "field": "permissions[1].code", "message": "a permission needs a string code"},
		{
			"code": "unsupported_level",
			"field": "permissions[2].level",
			"permission": "order.view",
			"level": null,
			"supported": [1, 2, 3],
			"message": "level not supported by order.view",
		},
	]
}
