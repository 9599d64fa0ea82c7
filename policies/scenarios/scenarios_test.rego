# METADATA
# title: Scenario table
# description: |
#   Runs every scenario of test/fixtures/scenarios/*.json (loaded as data.scenarios.<group>) through its entrypoint
#   and compares the whole result with `expected`. vitest runs the same table through the compiled Wasm. The package
#   stands outside `b2b` so that it may read any `data.b2b` rule by its path.
package scenarios_test

# A scenario's entrypoint `b2b/<package>/<rule>` evaluated with its input: the path names the rule, so this test
# keeps no list of entrypoints (they are the `entrypoint: true` annotations; vitest checks the table covers each).
_result(entrypoint, inp) := r if {
	[root, pkg, rule] := split(entrypoint, "/")
	root == "b2b"

	# regal ignore:with-outside-test-context
	r := data.b2b[pkg][rule] with input as inp
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

# The table is well formed - unique names, every seed covered, every entrypoint answering (`_failures` fails a
# scenario whose entrypoint has no result).
test_success_scenarios_table_well_formed if {
	count(_all) >= 30
	count({s.name | some s in _all}) == count(_all)
	{s.seed | some s in _all} == {"000", "001", "002", "003", "004", "model"}
}

test_fail_scenario_unknown_entrypoint_has_no_result if {
	not _result("b2b/unknown", data.scenarios.model[0].input)
}
