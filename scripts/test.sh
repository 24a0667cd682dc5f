#!/usr/bin/env bash
# The project's test command: formatting, lints, then every test target, then the unit tests
# that need a real API server (`#[ignore]`d in plain `cargo test`).
# Integration tests start their own API server through scripts/test-cluster.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets

# The same API server the integration tests use (started if it is not up yet).
kubeconfig="$(scripts/test-cluster.sh start target/test-cluster | tail -n 1)"
# engine::conformance holds development harnesses, not tests.
RHELM_TEST_KUBECONFIG="$kubeconfig" cargo test --lib -- --ignored --skip engine::conformance
