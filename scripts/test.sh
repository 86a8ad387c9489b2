#!/usr/bin/env bash
# test.sh — installs what is missing (app + test tools) and runs every test: unit tests,
# integration tests against a virtual microphone, end-to-end tests in the real window
# under Xvfb. Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" test
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"
# The tests drive the built binaries (rehearse, rehearse-cli): build them first.
cargo build --locked --workspace
mkdir -p test-artifacts
# One virtual display for the whole run; each test starts its own sound server and app.
status=0
xvfb-run -a -s "-screen 0 1280x800x24" cargo test --locked --workspace --no-fail-fast -- "$@" 2>&1 |
  tee test-artifacts/test-output.txt || status=$?
# One closing line with the totals over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' \
  test-artifacts/test-output.txt
exit "$status"
