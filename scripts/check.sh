#!/usr/bin/env bash
# check.sh — the gate that scripts/test.sh (and so CI) runs first: Rust formatting
# (rustfmt.toml), clippy with every warning an error, and the UI's TypeScript type check.
# Run it alone before a commit: `bash scripts/check.sh`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"
echo "check: cargo fmt --check"
cargo fmt --all --check
echo "check: cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings
echo "check: tsc (ui)"
(cd ui && npm run --silent check)
echo "check: ok"
