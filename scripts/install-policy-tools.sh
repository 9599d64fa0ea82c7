#!/usr/bin/env bash
# Installs the pinned OPA CLI (scripts/policy-tool-versions.sh) and the Regal linter (scripts/regal/go.mod) into
# tools/bin (git-ignored) with the Go toolchain, once per version.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/policy-tool-versions.sh"
bin="$root/tools/bin"
regal_version=$(sed -n 's|^require github.com/open-policy-agent/regal \(v[^ ]*\)$|\1|p' "$root/scripts/regal/go.mod")

# The version of MODULE a binary was built from, as the Go toolchain recorded it ("" when absent).
built_version() { go version -m "$1" 2>/dev/null | awk -v m="$2" '($1 == "mod" || $1 == "dep") && $2 == m { print $3 }'; }

command -v go >/dev/null || { echo "install-policy-tools: Go is required (go install / go build)" >&2; exit 1; }
mkdir -p "$bin"

if [ "$(built_version "$bin/opa" github.com/open-policy-agent/opa)" = "$OPA_VERSION" ]; then
  echo "opa ${OPA_VERSION} already installed at $bin/opa"
else
  echo "installing opa ${OPA_VERSION} with go install (takes a few minutes the first time)"
  GOBIN="$bin" go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
fi

if [ "$(built_version "$bin/regal" github.com/open-policy-agent/regal)" = "$regal_version" ]; then
  echo "regal ${regal_version} already installed at $bin/regal"
else
  echo "installing regal ${regal_version} with go build (takes a few minutes the first time)"
  (cd "$root/scripts/regal" && go build -o "$bin/regal" github.com/open-policy-agent/regal)
fi
