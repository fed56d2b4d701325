# Deterministic benchmark data, shared by bench/*/run.sh. Source it; do not run it.
# shellcheck shell=bash

# make_large FILE MIB: MIB MiB of AES-256-CTR keystream over zeros (fast to make,
# incompressible, the same bytes every time). Kept if it already has that size.
make_large() {
  local large=$1 size_mib=$2
  if [ ! -f "$large" ] || [ "$(stat -c %s "$large")" -ne $((size_mib << 20)) ]; then
    echo "generating $size_mib MiB..." >&2
    # openssl dies of SIGPIPE when head has enough, so the pipeline "fails".
    { openssl enc -aes-256-ctr -nosalt -pass pass:tributary -in /dev/zero 2>/dev/null || true; } |
      head -c $((size_mib << 20)) >"$large"
  fi
}

# make_tree LARGE DIR FILES: LARGE cut into FILES files in 20 sub-folders, sizes
# spread over 1:32 by a fixed LCG and scaled to sum to LARGE's size exactly.
# Kept if DIR already holds that many files of that total size.
make_tree() {
  local large=$1 tree=$2 files=$3 total have_files have_bytes
  total=$(stat -c %s "$large")
  if [ -d "$tree" ]; then
    have_files=$(find "$tree" -type f | wc -l)
    have_bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    if [ "$have_files" -eq "$files" ] && [ "$have_bytes" -eq "$total" ]; then
      return 0
    fi
  fi
  echo "splitting it into $files files..." >&2
  rm -rf "$tree"
  python3 - "$large" "$tree" "$files" <<'PY'
import os, sys
src, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
total = os.path.getsize(src)
x, weights = 12345, []
for _ in range(n):
    x = (1103515245 * x + 12345) % 2**31
    weights.append(1 + 31 * x / 2**31)
scale = total / sum(weights)
sizes = [int(w * scale) for w in weights]
sizes[-1] += total - sum(sizes)
with open(src, "rb") as f:
    for i, size in enumerate(sizes):
        folder = os.path.join(root, f"d{i % 20:02d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"f{i:05d}.bin"), "wb") as out:
            out.write(f.read(size))
PY
}
