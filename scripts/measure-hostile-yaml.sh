#!/usr/bin/env bash
# Issue 9: how long detection takes on hostile environment.yml files
# (400 KB of nested flow collections, and 450 KB of pip entries).
#   scripts/measure-hostile-yaml.sh [path/to/mlcontain]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$repo_root/target/release/mlcontain}"
[[ -x $bin ]] || { cargo build --release --manifest-path "$repo_root/Cargo.toml" >&2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export MLCONTAIN_NVML_LIB=/nonexistent/libnvidia-ml.so.1
measure() {
    local name=$1
    local size start end
    size=$(wc -c < "$tmp/$name/environment.yml")
    start=$(date +%s.%N)
    "$bin" --dir "$tmp/$name" init --yes --dry-run >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    printf '%-14s %8d bytes  %6.2f s\n' "$name" "$size" "$(echo "$end - $start" | bc)"
}
mkdir -p "$tmp/nested" "$tmp/pip-list" "$tmp/deep-seq"
python3 - "$tmp" <<'PY'
import sys
t = sys.argv[1]
n = 20000
open(f"{t}/nested/environment.yml", "w").write("dependencies: " + "[{a: " * n + "}]" * n + "\n")
open(f"{t}/deep-seq/environment.yml", "w").write("dependencies: " + "[" * 200000 + "]" * 200000 + "\n")
items = ", ".join('"very-long-unique-package-name-%06d==1.0"' % i for i in range(10000))
open(f"{t}/pip-list/environment.yml", "w").write("dependencies:\n  - pip: [" + items + "]\n")
PY
measure nested
measure deep-seq
measure pip-list
