#!/usr/bin/env bash
# bench-deck.sh [N] — imports a generated deck of N questions (default 100,000) with the
# release CLI and times the import, a re-import (update in place) and listing.
# Goal: import ≤ 5 s; listing stays instant.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-100000}"
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -q -p rehearse-cli --manifest-path "$root/Cargo.toml"
cli="$root/target/release/rehearse-cli"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
python3 - "$n" > "$work/big.toml" <<'PY'
import sys
n = int(sys.argv[1])
print('format = 1\n[deck]\nid = "bench"\nname = { en = "Bench", ko = "벤치" }\nlanguages = ["en", "ko"]')
for i in range(n):
    print(f'[[questions]]\nid = "bench.q{i:06d}"\ncategory = "technical"\ntags = ["t{i % 16}"]\nthink_secs = 30\nanswer_secs = 180')
    print(f'text = {{ en = "Generated question number {i}: explain MVCC.", ko = "생성된 질문 {i}번: MVCC를 설명해 주세요." }}')
    print(f'key_points.en = ["point a {i}", "point b"]\nkey_points.ko = ["요점 가 {i}", "요점 나"]')
PY
size=$(du -h "$work/big.toml" | cut -f1)
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); python3 -c "print(f'{$e - $s:.2f}')"; }
import_s=$(t "$cli" --data-dir "$work/data" deck import "$work/big.toml")
reimport_s=$(t "$cli" --data-dir "$work/data" deck import "$work/big.toml")
list_s=$(t "$cli" --data-dir "$work/data" deck list)
questions_s=$(t "$cli" --data-dir "$work/data" questions --json)
printf '%-44s %10s %8s\n' "deck of $n questions ($size)" "seconds" "goal"
printf '%-44s %10s %8s\n' "import (validate + one transaction)" "$import_s" "≤ 5"
printf '%-44s %10s %8s\n' "re-import (update in place)" "$reimport_s" "≤ 5"
printf '%-44s %10s %8s\n' "deck list (whole CLI run)" "$list_s" "instant"
printf '%-44s %10s %8s\n' "questions --json, all $((n + 67)) (whole CLI run)" "$questions_s" "-"
