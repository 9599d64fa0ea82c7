package b2b.trees_test

import data.b2b.trees

_settings := {"maxDepth": 4, "maxOrgs": 7}

# MODEL Entities: the trees an import leaves within the limits pass.
test_success_trees_within_limits if {
	trees.limits == {"reasons": []} with input as {"settings": _settings, "trees": [
		{"root": "ACME", "size": 7, "height": 4, "deepest": "BER"},
		{"root": "GLOBEX", "size": 1, "height": 1, "deepest": "GLOBEX"},
	]}
}

# MODEL Entities (BigCommerce 5 layers, 500 companies): sizes first, then depths, each naming its tree.
test_fail_trees_over_limits if {
	trees.limits == {"reasons": [
		{
			"code": "size_limit", "size": 9, "max": 7, "root": "ACME",
			"message": "tree ACME would have 9 orgs; a tree has at most 7 orgs",
		},
		{
			"code": "depth_limit", "depth": 5, "max": 4, "root": "ACME", "org": "DEEP",
			"message": "tree ACME would be 5 levels deep (org DEEP); a tree has at most 4 levels",
		},
		{
			"code": "depth_limit", "depth": 6, "max": 4, "root": "ZED", "org": "Z6",
			"message": "tree ZED would be 6 levels deep (org Z6); a tree has at most 4 levels",
		},
	]} with input as {"settings": _settings, "trees": [
		{"root": "ACME", "size": 9, "height": 5, "deepest": "DEEP"},
		{"root": "OK", "size": 2, "height": 2, "deepest": "OK-1"},
		{"root": "ZED", "size": 6, "height": 6, "deepest": "Z6"},
	]}
}

# The catalog's defaults apply without settings; malformed entries judge nothing.
test_success_trees_defaults_and_malformed_entries if {
	trees.limits == {"reasons": [{
		"code": "size_limit", "size": 501, "max": 500, "root": "BIG",
		"message": "tree BIG would have 501 orgs; a tree has at most 500 orgs",
	}]} with input as {"trees": [
		{"root": "BIG", "size": 501, "height": 2, "deepest": "B1"},
		{"root": "BAD", "size": "9999", "height": 99, "deepest": "X"},
		"not a tree",
	]}
	trees.limits == {"reasons": []} with input as {}
}
