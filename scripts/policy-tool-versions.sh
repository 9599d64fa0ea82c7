# The one OPA version the project compiles, tests and benchmarks with. Sourced by the other scripts and the
# Dockerfile. Regal, the Rego linter, is pinned by scripts/regal/go.mod.
OPA_VERSION=v1.22.2
