#!/usr/bin/env bash
# bench-record-asr.sh — does transcription disturb a recording? (a benchmark, not a test:
# a figure over its goal is reported, not failed; the exit status is non-zero only when a
# measurement could not be made).
#
#   bash scripts/bench-record-asr.sh [--seconds 30] [--backlog 60] [--debug] [--no-build]
#
# Builds rehearse-cli (release; --debug: the debug build, whose unoptimised recorder is the
# harder case; --no-build: use the one already built), starts a private virtual microphone
# (tests/support/virtual-mic.sh) fed with looped espeak-ng speech, records a take of
# --backlog s for the speech model to work on, then transcribes it again and again in the
# background (`rehearse-cli transcribe 1`: the installed Whisper model at the lowest
# priority, as the window's worker runs it, but with every core: the window drops to one
# model thread while it records, a separate process cannot) and meanwhile records a take of
# --seconds s with `rehearse-cli record --json`. Reports the take's dropped_frames (the
# recorder's own count, as stored with the take), how many transcriptions ran during it,
# and the load average. Goal: 0 dropped frames. Temporary data folders only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

seconds=30 backlog=20 profile=release build=1
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
need_int() { [[ "$2" =~ ^[0-9]+$ ]] && (( $2 >= $3 )) || { echo "bench-record-asr: $1 needs a whole number >= $3, not '$2'" >&2; exit 2; }; }
while (($#)); do
  case "$1" in
    --seconds) need_int "$1" "${2:-}" 2; seconds="$2"; shift 2 ;;
    --backlog) need_int "$1" "${2:-}" 5; backlog="$2"; shift 2 ;;
    --debug) profile=debug; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "bench-record-asr: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
for t in espeak-ng sox python3 pulseaudio pactl; do
  command -v "$t" >/dev/null || { echo "bench-record-asr: $t is missing: run bash scripts/setup.sh test" >&2; exit 1; }
done
if ((build)); then
  echo "bench-record-asr: building rehearse-cli ($profile) ..." >&2
  if [[ $profile == release ]]; then (cd "$root" && cargo build --release --locked -p rehearse-cli); else (cd "$root" && cargo build --locked -p rehearse-cli); fi
fi
cli="${CARGO_TARGET_DIR:-$root/target}/$profile/rehearse-cli"
[[ "$cli" == /* ]] || cli="$root/$cli"
[[ -x "$cli" ]] || { echo "bench-record-asr: $cli was not built" >&2; exit 1; }

base="${TMPDIR:-/tmp}"; ((${#base} <= 60)) || base=/tmp
tmp="$(mktemp -d "$base/rasr.XXXXXX")"
export VMIC_DIR="$tmp/vm"
vmic="$root/tests/support/virtual-mic.sh"
asr=""
# The transcription loop and the rehearse-cli it is running (by their process ids).
stop_asr() {
  local kids
  kids="$(ps -o pid= --ppid "$asr" 2>/dev/null || true)"
  kill -TERM "$asr" 2>/dev/null || true
  for k in $kids; do kill -TERM "$k" 2>/dev/null || true; done
  wait "$asr" 2>/dev/null || true
}
cleanup() {
  local st=$?
  trap - EXIT INT TERM
  if [[ -n "$asr" ]] && kill -0 "$asr" 2>/dev/null; then stop_asr; fi
  bash "$vmic" stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$st"
}
trap cleanup EXIT INT TERM

bash "$vmic" start >/dev/null
eval "$(bash "$vmic" env)"
espeak-ng -v en-us -s 150 -w "$tmp/say.wav" \
  "A deadlock is a cycle of transactions waiting for each other. I would read the deadlock graph, fix the lock order and retry the transaction."
bash "$vmic" feed "$tmp/say.wav" --loop >/dev/null
data="$tmp/data"

echo "bench-record-asr: recording the backlog take ($backlog s) ..." >&2
"$cli" --data-dir "$data" record --question db.deadlock --seconds "$backlog" --json >/dev/null
echo "bench-record-asr: transcribing it over and over while a $seconds s take is recorded ..." >&2
"$cli" --data-dir "$data" transcribe 1 >/dev/null 2>"$tmp/asr.err" || { echo "bench-record-asr: transcription failed: $(cat "$tmp/asr.err")" >&2; exit 1; }
touch "$tmp/asr.count"
( while :; do "$cli" --data-dir "$data" transcribe 1 >/dev/null 2>>"$tmp/asr.err" && echo done >>"$tmp/asr.count"; done ) &
asr=$!
sleep 2
"$cli" --data-dir "$data" record --question db.deadlock --seconds "$seconds" --json >"$tmp/take.json"
load="$(cut -d' ' -f1 /proc/loadavg)"
runs="$(wc -l <"$tmp/asr.count" 2>/dev/null || echo 0)"
stop_asr
asr=""
python3 - "$tmp/take.json" "$runs" "$load" "$seconds" "$profile" <<'PY'
import json, sys
take = json.load(open(sys.argv[1]))["take"]
dropped, runs, load, secs, profile = take["dropped_frames"], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
verdict = "PASS" if dropped == 0 else "OVER GOAL"
print("| recorder build | take | recorded | dropped frames | transcriptions finished meanwhile | load average (1 min) | goal: 0 dropped |")
print("|---|---|---|---|---|---|---|")
print(f"| {profile} | {secs} s | {take['duration_ms'] / 1000:.2f} s | {dropped} | {runs} (+1 under way) | {load} | {verdict} |")
PY
