#!/usr/bin/env bash
# Install everything Tributary needs, from the package registries only. Idempotent: a second
# run with nothing to do takes about a second.
#   - npm packages pinned in package-lock.json: Foundry 1.7.1 (forge, anvil, cast), solc-js
#     0.8.30 (behind scripts/solc, which forge calls), OpenZeppelin 5 and 4.9, EAS, Superfluid
#   - two Superfluid source trees npm does not serve, written out of the package's build info
#     (scripts/superfluid-sources.js)
#   - Debian packages: ipfs-cid (cross-checks our CIDs), brotli and binaryen (Stylus sizes)
#   - the wasm32-unknown-unknown Rust target (Stylus builds)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

command -v node >/dev/null || die "Node.js 20+ is required (install it from your distribution)"
command -v cargo >/dev/null || die "Rust is required: install it with rustup (https://rustup.rs)"

# npm: reinstall only when package-lock.json changed since the last install.
stamp="node_modules/.tributary-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
fi
# After every install: npm prunes folders it does not know, and these it does not know.
node scripts/superfluid-sources.js

# Debian packages, only those missing.
missing=()
command -v ipfs_cid >/dev/null || missing+=(ipfs-cid)
command -v brotli >/dev/null || missing+=(brotli)
command -v wasm-opt >/dev/null || missing+=(binaryen)
if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi

forge --version | head -1 >&2
scripts/solc --version | tail -1 >&2
