# The one OPA version the project compiles, tests and benchmarks with. Sourced by the other scripts.
OPA_VERSION=v1.22.2
