#!/usr/bin/env bash
# The policy toolchain: check (strict + formatting), test (with coverage), bundle (the Wasm bundle with every
# entrypoint), build (the bundle and the broken test bundles). OPA_BIN overrides the pinned CLI in tools/bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
opa="${OPA_BIN:-$root/tools/bin/opa}"
[ -x "$opa" ] || bash "$root/scripts/install-policy-tools.sh"
cd "$root"

# Entry points compiled into the Wasm module; the engine (src/policy/entrypoints.ts) names the same list.
entrypoints=(b2b/check/decision b2b/batch/results b2b/orders/scope b2b/permissions/effective b2b/admin/decision b2b/roles/validation)
min_coverage=${POLICY_MIN_COVERAGE:-90}

case "${1:-}" in
  check)
    "$opa" check --strict --capabilities policies.capabilities.json policies
    unformatted=$("$opa" fmt --list policies)
    if [ -n "$unformatted" ]; then echo "not formatted (run: tools/bin/opa fmt -w policies):"; echo "$unformatted"; exit 1; fi
    echo "policies: check --strict and fmt OK"
    ;;
  test)
    "$opa" test policies test/fixtures/scenarios -v --timeout 60s | tail -n 3
    cov=$("$opa" test policies test/fixtures/scenarios --coverage --timeout 60s)
    pct=$(node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(r.coverage.toFixed(2))' <<<"$cov")
    node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); for (const [f,v] of Object.entries(r.files)) console.log(`  ${f}: ${(v.coverage ?? 0).toFixed(1)}%`)' <<<"$cov"
    echo "policy coverage: ${pct}% (minimum ${min_coverage}%)"
    node -e "process.exit(${pct} >= ${min_coverage} ? 0 : 1)" || { echo "policy coverage below ${min_coverage}%"; exit 1; }
    ;;
  bundle|build)
    args=()
    for e in "${entrypoints[@]}"; do args+=(-e "$e"); done
    mkdir -p bundle
    # The revision is the hash of the sources, so the committed bundle is reproducible and its revision meaningful.
    rev=$(cd policies && find . -type f \( -name '*.rego' -o -name '*.json' \) ! -name '*_test.rego' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
    "$opa" build -t wasm -b --capabilities policies.capabilities.json --revision "$rev" "${args[@]}" \
      --ignore '*_test.rego' --ignore 'README.md' -o bundle/bundle.tar.gz policies
    echo "bundle/bundle.tar.gz built, revision $rev"
    [ "$1" = build ] || exit 0
    # Deliberately broken bundles the engine tests use to prove it refuses them (see test/fixtures/bundles/).
    fixtures=test/fixtures/bundles
    for broken in permissive misshapen; do
      "$opa" build -t wasm --revision "$broken" "${args[@]}" -o "$fixtures/$broken.tar.gz" "$fixtures/$broken"
    done
    "$opa" build -t wasm --revision incomplete -e b2b/check/decision -o "$fixtures/incomplete.tar.gz" "$fixtures/incomplete"
    ;;
  *) echo "usage: policy.sh check|test|bundle|build" >&2; exit 2 ;;
esac
