# METADATA
# title: Scenario table
# description: |
#   Runs every scenario of test/fixtures/scenarios/*.json (loaded as data.scenarios.<group>) through its entrypoint
#   and compares the whole result with `expected`. vitest runs the same table through the compiled Wasm.
package b2b.scenarios_test

import data.b2b.admin
import data.b2b.batch
import data.b2b.check
import data.b2b.orders
import data.b2b.permissions
import data.b2b.roles

_entrypoints := {
	"b2b/check/decision", "b2b/batch/results", "b2b/orders/scope",
	"b2b/permissions/effective", "b2b/admin/decision", "b2b/roles/validation",
}

_result("b2b/check/decision", inp) := r if {
	r := check.decision with input as inp
}

_result("b2b/batch/results", inp) := r if {
	r := batch.results with input as inp
}

_result("b2b/orders/scope", inp) := r if {
	r := orders.scope with input as inp
}

_result("b2b/permissions/effective", inp) := r if {
	r := permissions.effective with input as inp
}

_result("b2b/admin/decision", inp) := r if {
	r := admin.decision with input as inp
}

_result("b2b/roles/validation", inp) := r if {
	r := roles.validation with input as inp
}

_failures(group) := [s.name |
	some s in data.scenarios[group]
	not _result(s.entrypoint, s.input) == s.expected
]

_all := [s | some group, scs in data.scenarios; some s in scs]

test_success_scenarios_aicommerce if _failures("aicommerce") == []

test_success_scenarios_emporix if _failures("emporix") == []

test_success_scenarios_commercetools if _failures("commercetools") == []

test_success_scenarios_elastic_path if _failures("elastic_path") == []

test_success_scenarios_bigcommerce if _failures("bigcommerce") == []

test_success_scenarios_model if _failures("model") == []

# The table is well formed - unique names, known entrypoints, every entrypoint and every seed covered.
test_success_scenarios_table_well_formed if {
	count(_all) >= 30
	count({s.name | some s in _all}) == count(_all)
	{s.entrypoint | some s in _all} == _entrypoints
	{s.seed | some s in _all} == {"000", "001", "002", "003", "004", "model"}
}

test_fail_scenario_unknown_entrypoint_has_no_result if {
	not _result("b2b/unknown", data.scenarios.model[0].input)
}
