#!/usr/bin/env bash
# Shipping precompiled bytecode or not: image size and start-to-healthy time
# of the inference image for tests/sample-cpu, generated without and with
# `mlcontain init --bytecode`.
#
# start-to-healthy: from `docker run -d` to the first 200 from /health (the
# sample answers 200 once it has imported scikit-learn and loaded the model
# that the training image wrote into a volume), polled every 50 ms.
#
# Needs a Docker engine and the base image python:3.12-slim (or its local
# stand-in: scripts/make-base-images.sh python:3.12-slim). RUNS=N (default 5).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-5}"
mlcontain="${MLCONTAIN:-}"
if [[ -z $mlcontain ]]; then
    cargo build --quiet --manifest-path "$repo_root/Cargo.toml"
    mlcontain="$repo_root/target/debug/mlcontain"
fi
work="$(mktemp -d)"
vol="mlc-bytecode-$$"
cleanup() {
    docker rm -f "mlc-bc-$$" >/dev/null 2>&1 || true
    docker volume rm -f "$vol" >/dev/null 2>&1 || true
    docker image rm -f "mlc-bc-$$-training" "mlc-bc-$$-off" "mlc-bc-$$-on" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

build() { # DIR TARGET TAG
    DOCKER_BUILDKIT=1 docker build -q --target "$2" -t "$3" "$1" >/dev/null
}

size_mb() { docker image inspect --format '{{.Size}}' "$1" | awk '{printf "%.1f", $1/1e6}'; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

start_to_healthy() { # IMAGE -> ms for each run
    local image=$1 port t0 t1
    for _ in $(seq "$runs"); do
        docker rm -f "mlc-bc-$$" >/dev/null 2>&1 || true
        t0=$(now_ms)
        docker run -d --name "mlc-bc-$$" -p 127.0.0.1::8000 -v "$vol:/app/models:ro" "$image" >/dev/null
        port=$(docker port "mlc-bc-$$" 8000/tcp | head -n1 | sed 's/.*://')
        until curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
            sleep 0.05
            if (($(now_ms) - t0 > 60000)); then
                echo "timeout waiting for $image" >&2
                docker logs "mlc-bc-$$" >&2
                return 1
            fi
        done
        t1=$(now_ms)
        echo $((t1 - t0))
    done
    docker rm -f "mlc-bc-$$" >/dev/null 2>&1 || true
}

for mode in off on; do
    d="$work/$mode"
    cp -r "$repo_root/tests/sample-cpu" "$d"
    flags=(init --yes --framework sklearn --python 3.12 --stages training,inference --dir "$d")
    [[ $mode == on ]] && flags+=(--bytecode)
    "$mlcontain" "${flags[@]}" >/dev/null
    build "$d" inference "mlc-bc-$$-$mode"
done
build "$work/off" training "mlc-bc-$$-training"
docker volume create "$vol" >/dev/null
docker run --rm -v "$vol:/app/models" "mlc-bc-$$-training" >/dev/null

base=$(docker image inspect --format '{{.Size}}' python:3.12-slim)
printf '%-28s %12s %16s %22s\n' "inference image" "size (MB)" "over base (MB)" "start-to-healthy (ms)"
for mode in off on; do
    img="mlc-bc-$$-$mode"
    times="$(start_to_healthy "$img")"
    med=$(echo "$times" | median)
    over=$(docker image inspect --format '{{.Size}}' "$img" | awk -v b="$base" '{printf "%.1f", ($1-b)/1e6}')
    label="bytecode $mode"
    [[ $mode == off ]] && label="$label (default)"
    printf '%-28s %12s %16s %22s\n' "$label" "$(size_mb "$img")" "$over" "median $med (runs: $(echo "$times" | tr '\n' ' '))"
done
