#!/usr/bin/env bash
# bench-library.sh [N] [--runs R] [--keep DIR] — builds a real on-disk library of N takes
# (default 100,000) over the built-in decks in a temporary folder and prints p50 / p95 /
# max ms of the library view's queries (filters, search in English and Korean, each sort),
# readiness, the principle grid and progress. Goal: p95 ≤ 5 ms per library query.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cargo bench --locked -q -p rehearse-core --bench library --manifest-path "$root/Cargo.toml" -- "$@"
