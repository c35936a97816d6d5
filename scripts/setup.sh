#!/usr/bin/env bash
# Installs what building and testing need, from the package registries only,
# pinned, and skips whatever is already present. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
# The CLI must equal the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

say() { printf '\n== setup: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 11 minutes, once)"
  # no_downloads: it must never fetch tools at run time.
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  if ! cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked; then
    # Its published lock pins webpki-roots 1.0.11, which the registry no
    # longer serves. The failed install left the source in cargo's registry
    # cache: build a copy with that one pin moved to 1.0.10.
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasm-bindgen-cli-"$WASM_BINDGEN_VERSION" | head -n 1)
    work=$(mktemp -d)
    cp -r "$src" "$work/wasm-bindgen-cli"
    (cd "$work/wasm-bindgen-cli" &&
      cargo update -p webpki-roots@1.0.11 --precise 1.0.10 &&
      cargo install --path . --locked)
    rm -rf "$work"
  fi
fi

# Chromium for the browser tests; Noto CJK so that screenshots show Chinese
# text, not boxes (the machine has no CJK font).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] ||
   ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  say "installing Debian chromium and the Noto CJK fonts for the browser tests"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver fonts-noto-cjk
fi

# Playwright (driving Debian's chromium, never a downloaded browser) and
# binaryen's wasm-opt (Debian's breaks hydration; see ../shared/TOOLCHAIN.md).
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ ! -d end2end/node_modules/@playwright/test ] ||
   [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages in end2end/"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
