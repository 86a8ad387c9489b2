#!/usr/bin/env bash
# run.sh — installs what is missing, builds Rehearse (release) and opens its window.
# Data: $REHEARSE_DATA_DIR, else ~/.local/share/rehearse.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" run
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"
cargo build --release --locked -p rehearse -p rehearse-cli
exec "$root/target/release/rehearse" "$@"
