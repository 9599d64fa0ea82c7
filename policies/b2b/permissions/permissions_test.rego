package b2b.permissions_test

import data.b2b.fixtures_test as fx
import data.b2b.permissions

# commercetools: a role inherited from the company, plus an explicit one on the division.
test_success_commercetools_effective_roles_with_origin if {
	permissions.effective == {
		"roles": [
			{"key": "viewer", "from": "DE", "via": "direct"},
			{"key": "ct_buyer", "from": "ACME", "via": "inherited"},
		],
		"permissions": [
			{"code": "address.view", "level": 2, "from": ["ct_buyer@ACME"]},
			{"code": "cart.create", "level": 2, "from": ["ct_buyer@ACME"]},
			{"code": "catalog.browse", "level": 2, "from": ["ct_buyer@ACME", "viewer@DE"]},
			{"code": "list.manage", "level": 1, "from": ["ct_buyer@ACME"]},
			{"code": "list.view", "level": 1, "from": ["ct_buyer@ACME"]},
			{"code": "order.place", "level": 2, "from": ["ct_buyer@ACME"]},
			{"code": "order.update", "level": 1, "from": ["ct_buyer@ACME"]},
			{"code": "order.view", "level": 1, "from": ["ct_buyer@ACME"]},
			{"code": "org.view", "level": 2, "from": ["ct_buyer@ACME"]},
			{"code": "price.view", "level": 2, "from": ["ct_buyer@ACME", "viewer@DE"]},
			{"code": "quote.checkout", "level": 1, "from": ["ct_buyer@ACME"]},
			{"code": "quote.create", "level": 1, "from": ["ct_buyer@ACME"]},
			{"code": "quote.view", "level": 1, "from": ["ct_buyer@ACME"]},
		],
		"orgStatus": "active",
		"gated": [],
		"reasons": [],
	} with input as fx.mk("DE", [fx.m("ACME", ["ct_buyer"], true), fx.m("DE", ["viewer"], false)])
}

# Elastic Path: a non-inherited association adds only its level-3 permissions below, and no role.
test_success_elastic_path_level3_reach_permissions_only if {
	permissions.effective == {
		"roles": [],
		"permissions": [
			{"code": "order.view", "level": 3, "from": ["ep_buyer@EU"]},
			{"code": "org.view_subsidiaries", "level": 3, "from": ["ep_buyer@EU"]},
		],
		"orgStatus": "active",
		"gated": [],
		"reasons": [],
	} with input as fx.mk("DE", [fx.m("EU", ["ep_buyer"], false)])
}

test_success_highest_level_wins if {
	p := permissions.effective with input as fx.mk("DE", [fx.m("DE", ["emp_buyer", "emp_shared_orders"], false)])
	[x |
		some x in p.permissions
		x.code == "order.view"
	] == [{"code": "order.view", "level": 2, "from": ["emp_shared_orders@DE"]}]
}

# commercetools Inactive: the roles stay, transactional codes are gated.
test_success_commercetools_inactive_unit_gated if {
	inp := object.union(
		fx.mk("DE", [fx.m("DE", ["ct_buyer"], true)]),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "inactive"})}},
	)
	p := permissions.effective with input as inp
	p.orgStatus == "inactive"
	p.gated == ["cart.create", "order.place", "quote.checkout", "quote.create"]
	p.reasons == []
}

test_fail_bigcommerce_pending_company_denied if {
	inp := object.union(
		fx.mk("DE", [fx.m("DE", ["bc_junior_buyer"], true)]),
		{"graph": {"orgs": fx.patch_org("DE", {"status": "pending"})}},
	)
	p := permissions.effective with input as inp
	p.reasons == [{
		"code": "org_pending",
		"org": "DE",
		"status": "pending",
		"message": "org DE is pending: acting in it is refused",
	}]
	count(p.gated) == count(p.permissions)
}

test_fail_unknown_subject if {
	permissions.effective == {
		"roles": [], "permissions": [], "orgStatus": "active", "gated": [],
		"reasons": [{"code": "unknown_subject", "subject": "carol", "message": "subject carol is not known"}],
	} with input as object.union(fx.mk("DE", []), {"graph": {"user": null}})
}

test_fail_unknown_org if {
	permissions.effective == {
		"roles": [], "permissions": [], "orgStatus": null, "gated": [],
		"reasons": [{"code": "unknown_org", "org": "XX", "message": "org XX is not known"}],
	} with input as fx.mk("XX", [])
}

test_fail_not_associated if {
	permissions.effective == {
		"roles": [], "permissions": [], "orgStatus": "active", "gated": [],
		"reasons": [{
			"code": "not_associated",
			"org": "DE",
			"message": "no membership on the path of DE grants anything there",
		}],
	} with input as fx.mk("DE", [fx.m("FR", ["org_admin"], true)])
}

test_success_staff_support_reads if {
	p := permissions.effective with input as fx.staff("DE", ["store_support"])
	p.roles == [{"key": "store_support", "from": "staff", "via": "staff"}]
	count(p.permissions) == 11
	p.permissions[0] == {"code": "address.view", "level": 3, "from": ["store_support@staff"]}
}

test_success_staff_admin_everything if {
	p := permissions.effective with input as fx.staff("DE", ["store_admin", "ghost"])
	p.roles == [{"key": "store_admin", "from": "staff", "via": "staff"}]
	count(p.permissions) == 25
	{x.code | some x in p.permissions; x.from != ["store_admin@staff"]} == set()
}

test_fail_unknown_subject_in_unknown_org if {
	permissions.effective.orgStatus == null with input as object.union(fx.mk("XX", []), {"graph": {"user": null}})
}
