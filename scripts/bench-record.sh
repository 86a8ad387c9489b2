#!/usr/bin/env bash
# bench-record.sh — benchmarks of the recording engine (a benchmark, not a test: figures
# over their goal are reported, not failed; the exit status is non-zero only when a
# measurement could not be made).
#
#   bash scripts/bench-record.sh [--seconds 60] [--long-seconds 600] [--kills 5]
#                                [--first-runs 5] [--seed 1555] [--json FILE] [--no-build]
#
# Builds rehearse-cli in release (--no-build: use the one already built), starts a private
# virtual microphone (tests/support/virtual-mic.sh) fed with looped espeak-ng speech over a
# faint noise floor, and measures, with temporary data folders (never your own data):
#   1. side by side, same time, same microphone: `rehearse-cli record --seconds S` and
#      `parecord` for S s — CPU time (user+system) and peak RSS of each, CPU ratio;
#   2. a take of L s: the recorder's VmRSS every 5 s, growth from 10 s to the end;
#   3. time from capture start to the first samples written (first_sample_ms), short takes;
#   4. audio lost when the recorder is SIGKILLed 1-5 s into a take, after `recover`.
# Prints a table with goals and PASS / OVER GOAL. Takes about L + S + 60 s.
# Needs: pulseaudio, pulseaudio-utils, libasound2-plugins, espeak-ng, sox, python3
# (all installed by `bash scripts/setup.sh test`) and cargo.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

seconds=60 long=600 kills=5 first_runs=5 seed=1555 json="" build=1
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
need_int() { [[ "$2" =~ ^[0-9]+$ ]] && (( $2 >= $3 )) || { echo "bench-record: $1 needs a whole number >= $3, not '$2'" >&2; exit 2; }; }
while (($#)); do
  case "$1" in
    --seconds) need_int "$1" "${2:-}" 2; seconds="$2"; shift 2 ;;
    --long-seconds) need_int "$1" "${2:-}" 20; long="$2"; shift 2 ;;
    --kills) need_int "$1" "${2:-}" 1; kills="$2"; shift 2 ;;
    --first-runs) need_int "$1" "${2:-}" 1; first_runs="$2"; shift 2 ;;
    --seed) need_int "$1" "${2:-}" 0; seed="$2"; shift 2 ;;
    --json) [[ -n "${2:-}" ]] || usage 2; json="$(realpath -m "$2")"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "bench-record: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

# --- tools -------------------------------------------------------------------------------
missing=()
for t in pulseaudio:pulseaudio pactl:pulseaudio-utils parecord:pulseaudio-utils \
         paplay:pulseaudio-utils pacat:pulseaudio-utils espeak-ng:espeak-ng sox:sox python3:python3; do
  command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
done
compgen -G "/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so" >/dev/null ||
  compgen -G "/usr/lib/alsa-lib/libasound_module_pcm_pulse.so" >/dev/null || missing+=(libasound2-plugins)
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "bench-record: missing packages: ${missing[*]}" >&2
  echo "  install them with:  bash scripts/setup.sh test" >&2
  echo "  (or: sudo apt-get install --no-install-recommends ${missing[*]})" >&2
  exit 1
fi
command -v cargo >/dev/null || { echo "bench-record: cargo not found; run: bash scripts/setup.sh test" >&2; exit 1; }

# --- build -------------------------------------------------------------------------------
if ((build)); then
  echo "bench-record: building rehearse-cli (release) ..." >&2
  (cd "$root" && cargo build --release --locked -p rehearse-cli)
fi
cli="${CARGO_TARGET_DIR:-$root/target}/release/rehearse-cli"
[[ "$cli" == /* ]] || cli="$root/$cli"
[[ -x "$cli" ]] || { echo "bench-record: $cli was not built" >&2; exit 1; }

# --- scratch space, virtual microphone, cleanup -------------------------------------------
# The daemon's socket path must stay under 108 bytes: keep the folder short.
base="${TMPDIR:-/tmp}"; ((${#base} <= 60)) || base=/tmp
tmp="$(mktemp -d "$base/rbench.XXXXXX")"
export VMIC_DIR="$tmp/vm"
vmic="$root/tests/support/virtual-mic.sh"
helper=""
cleanup() {
  local st=$?
  trap - EXIT INT TERM
  if [[ -n "$helper" ]] && kill -0 "$helper" 2>/dev/null; then
    kill -TERM "$helper" 2>/dev/null || true
    wait "$helper" 2>/dev/null || true
  fi
  bash "$vmic" stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "bench-record: starting the virtual microphone in $VMIC_DIR ..." >&2
# In a session of its own: a Ctrl-C in the terminal must not stop the sound server (which
# exits on SIGINT) under a running measurement; cleanup stops it by its recorded PIDs.
setsid -w bash "$vmic" start >/dev/null
eval "$(bash "$vmic" env)"
export PULSE_CLIENTCONFIG="$VMIC_DIR/client.conf"
espeak-ng -w "$tmp/speech.wav" "Snapshot too old happens when the undo a long query needs has been \
overwritten. I would first check the undo retention and the size of the undo tablespace, then find \
the query that failed and how long it ran, and whether it fetched across commits."
# One feed file longer than the whole run, with a faint noise floor (about -50 dBFS) as a
# real microphone has: restarting the player between loops leaves gaps of digital silence,
# which the recorder rightly treats as a lost microphone when they reach 0.5 s (under load).
feed_secs=$((seconds + long + 10 * kills + 5 * first_runs + 120))
sox "$tmp/speech.wav" "$tmp/sentence.wav" pad 0 0.4
reps=$(python3 -c "import wave,sys; w=wave.open(sys.argv[1]); print(int($feed_secs*w.getframerate()/w.getnframes())+1)" "$tmp/sentence.wav")
sox "$tmp/sentence.wav" "$tmp/speech-long.wav" repeat "$reps"
rate=$(soxi -r "$tmp/speech-long.wav")
sox -n -r "$rate" -c 1 -b 16 "$tmp/noise.wav" synth "$(soxi -D "$tmp/speech-long.wav")" whitenoise vol 0.003
sox -m -v 1 "$tmp/speech-long.wav" -v 1 "$tmp/noise.wav" "$tmp/feed.wav"
rm -f "$tmp/speech-long.wav" "$tmp/noise.wav"
setsid -w bash "$vmic" feed "$tmp/feed.wav" --loop

# --- measure -----------------------------------------------------------------------------
echo "bench-record: side by side ${seconds} s, long take ${long} s, ${kills} kills, ${first_runs} short takes" >&2
args=(--cli "$cli" --work "$tmp/work" --seconds "$seconds" --long-seconds "$long" --kills "$kills"
      --first-runs "$first_runs" --seed "$seed")
[[ -n "$json" ]] && args+=(--json "$json")
mkdir -p "$tmp/work"
# In the background so that INT/TERM reach the trap at once (bash defers traps while a
# foreground command runs); the helper kills its own children by PID when it is stopped.
python3 "$root/scripts/bench_record.py" "${args[@]}" &
helper=$!
status=0
wait "$helper" || status=$?
helper=""
exit "$status"
