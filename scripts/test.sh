#!/usr/bin/env bash
# test.sh — installs what is missing (app + test tools) and runs every test: unit tests,
# integration tests against a virtual microphone, end-to-end tests in the real window
# under Xvfb. Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" test
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"
# The gate: formatting, lints and the UI's types, before anything is built for the tests.
bash "$root/scripts/check.sh"
# The tests drive the built binaries (rehearse, rehearse-cli): build them first.
cargo build --locked --workspace
mkdir -p test-artifacts
# One virtual display for the whole run; each test starts its own sound server and app.
status=0
xvfb-run -a -s "-screen 0 1280x800x24" cargo test --locked --workspace --no-fail-fast -- "$@" 2>&1 |
  tee test-artifacts/test-output.txt || status=$?
# The release package (only on a full run, not with a test filter): built by
# scripts/package.sh, then installed, driven as installed, reinstalled and removed by
# tests/package.rs (as root, or with password-less sudo).
if (($# == 0)); then
  { bash "$root/scripts/package.sh" --no-setup &&
    xvfb-run -a -s "-screen 0 1280x800x24" cargo test --locked -p rehearse-tests --test package -- --ignored; } 2>&1 |
    tee test-artifacts/package-output.txt || status=1
else
  : >test-artifacts/package-output.txt
fi
# One closing line with the totals over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' \
  test-artifacts/test-output.txt test-artifacts/package-output.txt
exit "$status"
