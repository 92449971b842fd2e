#!/usr/bin/env bash
# Time `mlcontain detect --json` (release build), 20 runs per setting:
#   plain  - this machine as it is
#   nodaemon - a docker client whose daemon is not running (no GPU either)
#   hang   - every external tool on PATH hangs (`sleep 30`): detection must
#            still return at its deadline
# Uses hyperfine when installed, else a bash loop with date +%s%N.
# Prints median and max in milliseconds.
#
#   scripts/bench-detect.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}

if [ -z "${MLCONTAIN:-}" ]; then
    cargo build --release --quiet
    MLCONTAIN="${CARGO_TARGET_DIR:-target}/release/mlcontain"
fi
case "$MLCONTAIN" in /*) ;; *) MLCONTAIN="$(pwd)/$MLCONTAIN" ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/hang"
for t in docker docker-compose podman nvidia-smi nvidia-ctk nvidia-container-toolkit \
    nvidia-container-runtime python3 uv poetry conda mamba micromamba git; do
    printf '#!/bin/sh\nexec /bin/sleep 30\n' >"$work/hang/$t"
    chmod +x "$work/hang/$t"
done
project="$(pwd)/tests/fixtures/pip-torch"
hyperfine_bin=$(command -v hyperfine || true)

stats() { # file of milliseconds, one per line -> "median max"
    python3 -c '
import statistics, sys
v = [float(l) for l in open(sys.argv[1]) if l.strip()]
print(f"median {statistics.median(v):.1f} ms  max {max(v):.1f} ms  ({len(v)} runs)")
' "$1"
}

bench() { # name PATH
    local name=$1 path=$2 out="$work/$1.ms"
    : >"$out"
    if [ -n "$hyperfine_bin" ]; then
        PATH="$path" "$hyperfine_bin" -N --style none --warmup 1 --runs "$runs" \
            --export-json "$work/$name.json" \
            "$MLCONTAIN --dir $project detect --json" >/dev/null
        python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))["results"][0]["times"]:
    print(t * 1000)
' "$work/$name.json" >"$out"
    else
        for _ in $(seq "$runs"); do
            local s e
            s=$(date +%s%N)
            PATH="$path" "$MLCONTAIN" --dir "$project" detect --json >/dev/null
            e=$(date +%s%N)
            awk -v ns="$((e - s))" 'BEGIN { print ns / 1e6 }' >>"$out"
        done
    fi
    printf '%-6s %s\n' "$name" "$(stats "$out")"
}

echo "mlcontain detect --json, $runs runs each ($([ -n "$hyperfine_bin" ] && echo hyperfine || echo bash loop))"
bench plain "$PATH"
# No docker daemon: a docker client whose daemon is not running (this is what
# `docker` prints then), the rest of the machine's tools as they are.
mkdir -p "$work/nodaemon"
cat >"$work/nodaemon/docker" <<'STUB'
#!/bin/sh
case "$1" in
    --version) echo "Docker version 28.2.2, build e6534b4" ;;
    *) echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1 ;;
esac
STUB
chmod +x "$work/nodaemon/docker"
bench nodaemon "$work/nodaemon:$PATH"
bench hang "$work/hang:/usr/bin:/bin"
