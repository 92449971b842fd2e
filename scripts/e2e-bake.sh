#!/usr/bin/env bash
# Bake end-to-end test (real tools): a second dockerd (Engine 26 with the
# containerd image store, its own socket, data-root, exec-root and pidfile;
# the shared daemon is never touched) and Debian's docker-registry on
# 127.0.0.1. mlcontain writes docker-bake.hcl for a project whose images and
# build cache go to that registry, then:
#
#   1. the shared daemon (classic image store, docker driver) is refused up
#      front with the reason, before anything is built;
#   2. `mlcontain build --bake --push` pushes the images and the registry cache;
#   3. after pruning every image and the build cache, a rebuild takes every
#      dependency step CACHED from the registry cache;
#   4. a 2-platform bake (linux/amd64,linux/arm64) is refused: the base image
#      has no arm64 variant;
#   5. the same build forced with plain `docker buildx bake` yields a manifest
#      list whose arm64 image holds x86-64 binaries, and
#      `mlcontain verify --platform linux/arm64` rejects it (and accepts amd64).
#      (This machine has no arm64 emulation; with it, step 5 still shows the
#      mislabelling, since the base has no arm64 variant.)
#
#   scripts/e2e-bake.sh      (root: starts dockerd; needs docker-registry)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
log() { printf '\n== e2e-bake: %s\n' "$*"; }
fail() { printf 'e2e-bake: FAIL: %s\n' "$*" >&2; exit 1; }

work="${MLCONTAIN_BAKE_WORK:-/var/tmp/mlcontain-bake-e2e}"
port="${MLCONTAIN_BAKE_REGISTRY_PORT:-5055}"
reg="127.0.0.1:$port"
sock="$work/docker.sock"
d2="unix://$sock"
bridge="${MLCONTAIN_BAKE_BRIDGE:-mlcbake0}"
bridge_cidr="${MLCONTAIN_BAKE_BRIDGE_CIDR:-172.30.255.1/24}"
mlcontain="${MLCONTAIN_BIN:-$repo_root/target/debug/mlcontain}"
base_src="${MLCONTAIN_BAKE_BASE:-mlcontain-test/bookworm-python:latest}"

command -v docker-registry >/dev/null || fail "docker-registry missing (apt-get install docker-registry)"
command -v dockerd >/dev/null || fail "dockerd missing (scripts/docker-env.sh)"
docker image inspect "$base_src" >/dev/null 2>&1 || fail "$base_src missing (scripts/make-base-images.sh)"
[[ -x $mlcontain ]] || cargo build --locked --bin mlcontain

stop() {
    local f pid
    for f in "$work/docker.pid" "$work/registry.pid"; do
        [[ -s $f ]] || continue
        pid="$(cat "$f")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    done
}
cleanup() {
    local rc=$?
    ((rc == 0)) || tail -n 30 "$work/dockerd.log" >&2 2>/dev/null || true
    stop
    ip link delete "$bridge" 2>/dev/null || true
    if [[ ${MLCONTAIN_BAKE_KEEP:-0} != 1 ]]; then
        umount -R "$work/exec" 2>/dev/null || true
        rm -rf "$work" 2>/dev/null || true
    fi
    exit "$rc"
}
stop
rm -rf "$work" 2>/dev/null || true
mkdir -p "$work/registry" "$work/proj"
trap cleanup EXIT

log "local registry on $reg (Debian's docker-registry)"
cat >"$work/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry
  delete:
    enabled: true
http:
  addr: $reg
YML
setsid docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 </dev/null &
echo $! >"$work/registry.pid"

log "second dockerd with the containerd image store"
t=$SECONDS
echo '{"features": {"containerd-snapshotter": true}}' >"$work/daemon.json"
# Its own bridge and no iptables rules: this daemon must not touch the
# shared daemon's network (docker0, its NAT rules). Builds on it are offline
# (no NAT), so the test project's dependencies install without the network.
if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$bridge_cidr" dev "$bridge"
    ip link set "$bridge" up
fi
setsid dockerd --host "$d2" --data-root "$work/data" --exec-root "$work/exec" \
    --pidfile "$work/docker.pid" --config-file "$work/daemon.json" \
    --bridge "$bridge" --iptables=false --ip6tables=false >"$work/dockerd.log" 2>&1 </dev/null &
for _ in $(seq 60); do
    DOCKER_HOST=$d2 docker info >/dev/null 2>&1 && curl -fsS "http://$reg/v2/" >/dev/null 2>&1 && break
    sleep 1
done
DOCKER_HOST=$d2 docker info --format '{{.ServerVersion}} {{json .DriverStatus}}' |
    grep -q 'io.containerd.snapshotter' || fail "the second dockerd has no containerd image store"
curl -fsS "http://$reg/v2/" >/dev/null || fail "the registry does not answer on $reg"
echo "up in $((SECONDS - t)) s"

log "base image into the registry (the mirror the Dockerfile pulls from)"
docker save "$base_src" | DOCKER_HOST=$d2 docker load -q >/dev/null
DOCKER_HOST=$d2 docker tag "$base_src" "$reg/mirror/python:3.11-slim"
DOCKER_HOST=$d2 docker push -q "$reg/mirror/python:3.11-slim" >/dev/null

proj="$work/proj/bakesmoke"
mkdir -p "$proj"
# Offline builds: the dependency steps (venv, COPY of the manifest, pip
# install -r) are real steps with nothing to download.
printf '# no third-party dependencies\n' >"$proj/requirements.txt"
(cd "$proj" && "$mlcontain" init --yes --framework none --python 3.11 --stages training,inference \
    --registry "$reg/mirror" --bake >/dev/null)
[[ -f $proj/docker-bake.hcl ]] || fail "init --bake wrote no docker-bake.hcl"
grep -q "type=registry,ref=\${REGISTRY}/\${PROJECT}-cache:training,mode=max" "$proj/docker-bake.hcl" ||
    fail "docker-bake.hcl has no registry cache-to"

log "1. the shared daemon (classic store, docker driver) is refused up front"
set +e
out="$(cd "$proj" && "$mlcontain" build --bake --push 2>&1)"
rc=$?
set -e
echo "$out" | grep -E '^(==>|error:)' || true
((rc == 1)) || fail "expected exit 1 on the classic store, got $rc"
echo "$out" | grep -q "cannot export a build cache" || fail "no cache-export refusal"
echo "$out" | grep -q "containerd-snapshotter" || fail "the refusal names no fix"
if echo "$out" | grep -q '^+ '; then fail "a build was started on the shared daemon"; fi

export DOCKER_HOST=$d2

log "2. build --bake --push (images and registry cache)"
t=$SECONDS
(cd "$proj" && "$mlcontain" build --bake --push --progress plain) >"$work/push.log" 2>&1 ||
    { tail -n 40 "$work/push.log"; fail "bake --push failed"; }
t_push=$((SECONDS - t))
for repo in bakesmoke-training bakesmoke-inference bakesmoke-cache; do
    curl -fsS "http://$reg/v2/mirror/$repo/tags/list" | grep -q '"tags"' || fail "registry has no $repo"
done
curl -fsS "http://$reg/v2/mirror/bakesmoke-cache/tags/list"; echo

log "3. prune everything local, rebuild from the registry cache"
docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>' | xargs -r docker image rm -f >/dev/null
docker buildx prune -af >/dev/null
[[ -z $(docker image ls -q) ]] || fail "images left after the prune"
t=$SECONDS
(cd "$proj" && "$mlcontain" build --bake --progress plain) >"$work/rebuild.log" 2>&1 ||
    { tail -n 40 "$work/rebuild.log"; fail "rebuild failed"; }
t_rebuild=$((SECONDS - t))
grep -q "importing cache manifest from $reg/mirror/bakesmoke-cache:training" "$work/rebuild.log" ||
    fail "the rebuild did not import the registry cache"
# Every dependency step of the builder stage: its step number, then CACHED.
steps=0
while read -r num; do
    steps=$((steps + 1))
    grep -qx "$num CACHED" "$work/rebuild.log" ||
        { grep "^$num " "$work/rebuild.log" >&2; fail "dependency step $num was not CACHED"; }
done < <(grep -E '^#[0-9]+ \[[a-z]+ builder [0-9]+/[0-9]+\] (RUN|COPY)' "$work/rebuild.log" | awk '{print $1}' | sort -u)
((steps >= 3)) || fail "found only $steps builder steps in the rebuild log"
grep -E '^#[0-9]+ \[[a-z]+ builder [0-9]+/[0-9]+\] (RUN|COPY)' "$work/rebuild.log" | sort -u | sed 's/^/  CACHED: /'

log "4. two platforms from a single-platform base: refused"
set +e
out="$(cd "$proj" && "$mlcontain" build --bake --push --platform linux/amd64,linux/arm64 2>&1)"
rc=$?
set -e
((rc == 1)) || { echo "$out"; fail "expected the 2-platform build to be refused (exit 1), got $rc"; }
echo "$out" | grep -q "has no linux/arm64 variant (it has linux/amd64)" || { echo "$out"; fail "no base-platform refusal"; }
echo "$out" | grep '^error' | head -n 1 | cut -c1-200

log "5. forced with plain buildx bake: a mislabelled manifest list, which verify rejects"
emulation=no
[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] && emulation=yes
(cd "$proj" && docker buildx bake --push --set '*.platform=linux/amd64,linux/arm64' training) \
    >"$work/forced.log" 2>&1 || { tail -n 30 "$work/forced.log"; fail "the forced 2-platform bake failed"; }
image="$reg/mirror/bakesmoke-training:latest"
docker buildx imagetools inspect "$image" | grep -E 'Platform:' | sort -u
docker buildx imagetools inspect "$image" | grep -q 'linux/arm64' || fail "no arm64 image in the manifest list"
set +e
out="$(cd "$proj" && "$mlcontain" verify --target training --tag "$image" --platform linux/arm64 2>&1)"
rc=$?
set -e
echo "$out" | grep -E '^ +(ok|FAIL)'
((rc == 1)) || fail "verify accepted the mislabelled arm64 image"
echo "$out" | grep -q "is x86-64 ELF but the image says linux/arm64" || fail "verify did not name the ELF mismatch"
out="$(cd "$proj" && "$mlcontain" verify --target training --tag "$image" --platform linux/amd64 2>&1)" ||
    { echo "$out"; fail "verify rejected the amd64 image"; }
echo "$out" | grep -E '^ +(ok|FAIL)'

log "times: bake --push ${t_push} s, rebuild from the registry cache ${t_rebuild} s (arm64 emulation: $emulation)"
echo "e2e-bake: 5 passed, 0 failed"
