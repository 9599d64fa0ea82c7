# METADATA
# title: Batch
# description: |
#   Entrypoint `b2b/batch/results` - many decisions for one subject and org (API `POST /v1/check/batch`).
#   Every item goes through the same decision function as `b2b/check/decision`; the subject's grants are complete
#   rules over the input, so they are computed once for the whole batch.
package b2b.batch

import data.b2b.check

# METADATA
# title: Results
# description: One decision per item of `input.checks`, in the same order.
# entrypoint: true
results := [check.decide_item(c) | some c in _checks]

# API batch: up to 1000 items (the HTTP layer enforces the bound).
_checks := input.checks if is_array(input.checks)

else := []
