#!/usr/bin/env bash
# bench-peaks.sh [MINUTES] — waveform overview of a long take (default 60 minutes of
# 48 kHz mono): with its peaks file, written while recording, and without it, built from
# the WAV. Release build of rehearse-audio's bench_peaks example. Goal: < 0.2 s with the
# peaks file. Needs about 350 MB of free space in $TMPDIR (removed afterwards).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
minutes="${1:-60}"
export PATH="$HOME/.cargo/bin:$PATH"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cargo run --release --locked -q -p rehearse-audio --example bench_peaks --manifest-path "$root/Cargo.toml" -- "$work" "$minutes"
