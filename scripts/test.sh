#!/usr/bin/env bash
# The project's test command: formatting, lints, then every test target.
# Integration tests start their own API server through scripts/test-cluster.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
