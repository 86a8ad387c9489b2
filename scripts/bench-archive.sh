#!/usr/bin/env bash
# bench-archive.sh [N] [SECONDS] — a library of N takes of SECONDS each (default 20 takes of
# 600 s at 48 kHz: about 1.1 GB of WAV) exported with `export --all`, imported into an
# empty data folder with `import --all`, and one session of 5 of those takes exported as a
# zip. Prints wall time, throughput and peak RSS of each run (release CLI).
# Goal: memory stays flat (peak RSS independent of the library's size: files are
# streamed, never read whole); export and import run at disk speed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-20}"
secs="${2:-600}"
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked -q -p rehearse-cli --manifest-path "$root/Cargo.toml"
cli="$root/target/release/rehearse-cli"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
data="$work/data"
"$cli" --data-dir "$data" takes > /dev/null
# One noisy tone of SECONDS, copied as N takes with sidecars; `recover` indexes them as a
# crash would have left them (the same path real takes take after a crash).
sox -q -n -r 48000 -c 1 -b 16 "$work/one.wav" synth "$secs" sine 180-900 whitenoise vol 0.3
python3 - "$data" "$work/one.wav" "$n" <<'PY'
import json, os, shutil, sys, uuid, datetime
data, src, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    name = f"{uuid.uuid4().hex}"
    shutil.copyfile(src, f"{data}/takes/{name}.wav")
    at = (datetime.datetime(2026, 1, 1) + datetime.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    json.dump({"question_id": "db.deadlock", "started_at": at, "file": f"takes/{name}.wav"}, open(f"{data}/takes/{name}.json", "w"))
PY
"$cli" --data-dir "$data" recover > /dev/null
# A session holding the first five takes (sessions are started by the app; SQL here).
python3 - "$data/rehearse.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO sessions (id, deck_id, language, started_at) VALUES (1, 'databases', 'en', '2026-01-01T00:00:00.000Z')")
c.execute("UPDATE takes SET session_id = 1 WHERE id IN (SELECT id FROM takes ORDER BY id LIMIT 5)")
c.commit()
PY
bytes=$(du -sb "$data/takes" | cut -f1)
run() { # label, then the command; prints seconds, MB/s and peak RSS
    local label="$1"; shift
    local s e
    s=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null
    e=$(date +%s.%N)
    python3 -c "import sys; t=$e-$s; print(f'{sys.argv[1]:<40} {t:8.2f} s {$bytes/1e6/t:9.0f} MB/s {int(open(sys.argv[2]).read().split()[-1])/1024:9.1f} MB')" "$label" "$work/rss"
}
printf '%-40s %10s %14s %12s\n' "$n takes x $secs s ($((bytes / 1000000)) MB)" "wall" "throughput" "peak RSS"
run "export --all" "$cli" --data-dir "$data" export --all "$work/all.zip"
run "import --all (into an empty folder)" "$cli" --data-dir "$work/other" import --all "$work/all.zip"
cmp -s "$data/rehearse.db" "$work/other/rehearse.db" || true
for f in "$data"/takes/*.wav; do cmp -s "$f" "$work/other/takes/$(basename "$f")" || { echo "MISMATCH $f"; exit 1; }; done
bytes=$((bytes * 5 / n))
run "export --session (5 takes, zip)" "$cli" --data-dir "$data" export --session 1 "$work/session.zip"
run "takes (baseline: open + list)" "$cli" --data-dir "$data" takes
