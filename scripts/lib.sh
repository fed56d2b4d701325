# Shared shell helpers for scripts/*.sh. Source it; do not run it.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export FOUNDRY_DISABLE_NIGHTLY_WARNING=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Start anvil on a free port in the background; sets ANVIL_PID and RPC_URL.
start_anvil() {
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    anvil --port "$port" --silent "$@" &
    ANVIL_PID=$!
    RPC_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        cast chain-id --rpc-url "$RPC_URL" >/dev/null 2>&1 && return 0
        kill -0 "$ANVIL_PID" 2>/dev/null || die "anvil exited while starting"
        sleep 0.1
    done
    die "anvil did not answer on $RPC_URL"
}

# anvil's first default account (a public test key, never for real funds).
ANVIL_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
