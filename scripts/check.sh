#!/usr/bin/env bash
# check.sh — the gate that scripts/test.sh (and so CI) runs first: Rust formatting
# (rustfmt.toml), clippy with every warning an error, the UI's TypeScript type check, and
# that a source file over 500 lines says at its top why it is that long ("Length:").
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
echo "check: long files give their reason"
long=0
while IFS= read -r f; do
  [[ "$f" == ui/src/bindings.ts ]] && continue # generated
  if (($(wc -l < "$f") > 500)) && ! head -40 "$f" | grep -q 'Length:'; then
    echo "check: $f has $(wc -l < "$f") lines and no 'Length:' reason in its opening comment" >&2
    long=1
  fi
done < <(git ls-files '*.rs' '*.ts')
((long == 0))
echo "check: ok"
