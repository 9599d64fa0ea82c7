#!/usr/bin/env bash
# The policy toolchain: check (strict + formatting), lint (Regal), test (with coverage), bundle (the Wasm bundle),
# build (the generated files, the bundle and the broken test bundles); generated (build's part after the bundle). OPA_BIN / REGAL_BIN override the pinned CLIs in
# tools/bin. The entrypoints are the rules annotated `# METADATA` `entrypoint: true`: opa build reads them, and
# scripts/generate-policy-artifacts.mjs writes the engine's list from the built bundle's manifest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
opa="${OPA_BIN:-$root/tools/bin/opa}"
[ -x "$opa" ] || bash "$root/scripts/install-policy-tools.sh"
cd "$root"

regal="${REGAL_BIN:-$root/tools/bin/regal}"
min_coverage=${POLICY_MIN_COVERAGE:-90}

# What build writes after the bundle: the files derived from it and the broken test bundles.
generated() {
  node scripts/generate-policy-artifacts.mjs ts
  # Deliberately broken bundles the engine tests use to prove it refuses them (see test/fixtures/bundles/).
  fixtures=test/fixtures/bundles
  for broken in permissive misshapen incomplete; do
    "$opa" build -t wasm --revision "$broken" -o "$fixtures/$broken.tar.gz" "$fixtures/$broken"
  done
}

case "${1:-}" in
  check)
    "$opa" check --strict --capabilities policies.capabilities.json policies
    unformatted=$("$opa" fmt --list policies)
    if [ -n "$unformatted" ]; then echo "not formatted (run: tools/bin/opa fmt -w policies):"; echo "$unformatted"; exit 1; fi
    echo "policies: check --strict and fmt OK"
    ;;
  lint)
    [ -x "$regal" ] || bash "$root/scripts/install-policy-tools.sh"
    "$regal" lint policies
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
    [ "$1" = bundle ] || node scripts/generate-policy-artifacts.mjs levels
    # POLICY_BUNDLE_OUT (bundle only) writes elsewhere: policy:watch stages a bundle while the checks run.
    out=bundle/bundle.tar.gz
    [ "$1" = build ] || out="${POLICY_BUNDLE_OUT:-$out}"
    mkdir -p "$(dirname "$out")"
    # The revision is the hash of the sources, so the committed bundle is reproducible and its revision meaningful.
    rev=$(cd policies && find . -type f \( -name '*.rego' -o -name '*.json' \) ! -name '*_test.rego' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
    "$opa" build -t wasm -b --capabilities policies.capabilities.json --revision "$rev" \
      --ignore '*_test.rego' --ignore 'README.md' -o "$out" policies
    echo "$out built, revision $rev"
    [ "$1" = build ] || exit 0
    generated
    ;;
  generated)
    generated
    ;;
  *) echo "usage: policy.sh check|lint|test|bundle|generated|build" >&2; exit 2 ;;
esac
