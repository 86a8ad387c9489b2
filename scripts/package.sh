#!/usr/bin/env bash
# package.sh [--no-setup] — builds the release Debian package target/package/rehearse_<version>_<arch>.deb
# with the Tauri bundler (tauri-cli 2.x, installed by scripts/setup.sh): the window app
# (/usr/bin/rehearse), rehearse-cli, rehearse-install-models (the one command that installs the
# speech models, which stay outside the package), the desktop entry and its icons, and the
# runtime dependencies apt pulls in (src-tauri/tauri.conf.json, "bundle").
#   --no-setup  skip scripts/setup.sh (scripts/test.sh has already run it)
# Install it with `sudo apt install ./target/package/rehearse_*.deb`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[[ "${1:-}" == --no-setup ]] || bash "$root/scripts/setup.sh" package
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root"
started=$(date +%s)

version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' src-tauri/tauri.conf.json)
maintainer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bundle"]["publisher"])' src-tauri/tauri.conf.json)
out="$root/target/package"
mkdir -p "$out"

# Debian's changelog (lintian requires one), dated by the commit it is built from.
{
  echo "rehearse ($version) unstable; urgency=medium"
  echo
  echo "  * Rehearse $version, built from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo
  echo " -- $maintainer  $(git log -1 --format=%cD 2>/dev/null || date -R)"
} | gzip -9n >"$out/changelog.gz"

# One cargo build for both programs (the bundler's `cargo build --release --bins
# --features tauri/custom-protocol`, with rehearse-cli added), stripped: Debian packages ship
# stripped binaries, and the symbols would double the package's size.
export CARGO_PROFILE_RELEASE_STRIP=symbols
cargo tauri build --bundles deb --ci -- --locked -p rehearse -p rehearse-cli

built=(target/release/bundle/deb/Rehearse_"${version}"_*.deb)
[[ -f "${built[0]}" ]] || { echo "package: the bundler made no .deb in target/release/bundle/deb" >&2; exit 1; }
# Debian's file name: package_version_arch.deb (the bundler names it after the product).
deb="$out/$(basename "${built[0]}" | sed 's/^Rehearse_/rehearse_/')"
mv -f "${built[0]}" "$deb"
size=$(stat -c %s "$deb")
echo "package: $deb ($((size / 1024)) KiB) in $(($(date +%s) - started)) s"
if ((size > 15 * 1024 * 1024)); then
  echo "package: $deb is over 15 MB" >&2
  exit 1
fi
