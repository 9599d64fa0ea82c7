#!/usr/bin/env bash
# Installs the pinned OPA CLI into tools/bin (git-ignored) with the Go toolchain, once per version.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/opa-version.sh"
bin="$root/tools/bin"
# Read the whole output before matching: with pipefail, `grep -q` or `head` closing the pipe early fails the check.
installed_version() { "$bin/opa" version 2>/dev/null | sed -n 's/^Version: //p'; }
if [ -x "$bin/opa" ] && [ "$(installed_version)" = "${OPA_VERSION#v}" ]; then
  echo "opa ${OPA_VERSION} already installed at $bin/opa"
  exit 0
fi
command -v go >/dev/null || { echo "install-opa: Go is required to install the OPA CLI (go install)" >&2; exit 1; }
mkdir -p "$bin"
echo "installing opa ${OPA_VERSION} with go install (takes a few minutes the first time)"
GOBIN="$bin" go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
echo "opa $(installed_version) installed at $bin/opa"
