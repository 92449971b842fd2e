#!/usr/bin/env bash
# Build a local stand-in for public base images, for offline Docker e2e tests.
#
#   scripts/make-base-images.sh IMAGE [IMAGE...]
#   e.g. scripts/make-base-images.sh python:3.11-slim nvidia/cuda:12.4.1-base-ubuntu22.04
#
# No container registry is reachable from CI, so `FROM python:3.11-slim` cannot
# be pulled. Instead this builds ONE Debian bookworm rootfs (debootstrap
# minbase + python3, python3-venv, python3-pip, ca-certificates; apt sources
# pointing at this machine's mirror), imports it as
# mlcontain-test/bookworm-python:latest and `docker tag`s it as every IMAGE.
#
# The rootfs tarball is cached ($MLCONTAIN_TEST_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/mlcontain-test), so reruns take seconds.
# An existing image that was not made by this script is left alone unless
# MLCONTAIN_FORCE_TAG=1 (so a developer's real python:3.11-slim survives).
# Needs root for debootstrap (only when the tarball is not cached) and a
# running docker engine (scripts/docker-env.sh).
set -euo pipefail

RECIPE=v1 # bump when the rootfs recipe below changes
BASE_IMAGE=mlcontain-test/bookworm-python:latest
LABEL=org.mlcontain.test.recipe

log() { printf 'make-base-images: %s\n' "$*"; }
die() { printf 'make-base-images: error: %s\n' "$*" >&2; exit 1; }

(($# > 0)) || die "usage: $0 IMAGE [IMAGE...]"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_dir="${MLCONTAIN_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlcontain-test}"
tarball="$cache_dir/bookworm-python-$RECIPE.tar"

docker info >/dev/null 2>&1 || die "docker engine not reachable (run scripts/docker-env.sh as root)"

# The recipe label of an image this script imported (single layer), else "".
# Images built FROM ours inherit the label but have more layers.
image_recipe() {
    docker image inspect \
        --format "{{ len .RootFS.Layers }} {{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null |
        sed -n 's/^1 //p' || true
}

build_tarball() {
    [[ $(id -u) -eq 0 ]] || die "building the rootfs needs root (debootstrap)"
    command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
    local mirror
    mirror="$("$script_dir/docker-env.sh" --print-mirror)"
    mkdir -p "$cache_dir"
    local work
    work="$(mktemp -d "$cache_dir/rootfs.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    local rootfs="$work/rootfs"
    log "debootstrap bookworm from $mirror (takes a few minutes)"
    local start=$SECONDS
    if ! debootstrap --variant=minbase \
        --include=python3,python3-venv,python3-pip,ca-certificates \
        bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
        tail -n 40 "$work/debootstrap.log" >&2
        [[ -f $rootfs/debootstrap/debootstrap.log ]] && tail -n 40 "$rootfs/debootstrap/debootstrap.log" >&2
        die "debootstrap failed"
    fi
    log "debootstrap done in $((SECONDS - start)) s"

    # The machine's CA bundle (it may hold a CA that TLS to the package index
    # needs). Also as a local CA so update-ca-certificates keeps it.
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/usr/local/share/ca-certificates/mlcontain-host-bundle.crt"

    # Look like the official python images: python/pip on PATH, pip may
    # install system-wide.
    ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
    ln -sf /usr/bin/python3 "$rootfs/usr/bin/python"
    [[ -e $rootfs/usr/bin/pip ]] || ln -sf pip3 "$rootfs/usr/bin/pip"
    ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip"
    rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED

    # apt sources: debootstrap wrote "deb $mirror bookworm main"; keep it and
    # drop caches like the official slim images do.
    echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
        "$rootfs/debootstrap" "$rootfs"/tmp/* "$rootfs"/root/.cache
    : >"$rootfs/etc/hostname"
    rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hosts" # docker bind-mounts its own

    tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$work"
    trap - EXIT
    log "cached rootfs at $tarball ($(du -h "$tarball" | cut -f1))"
}

if [[ $(image_recipe "$BASE_IMAGE") == "$RECIPE" ]]; then
    log "$BASE_IMAGE already present"
else
    [[ -s $tarball ]] || build_tarball
    log "importing $BASE_IMAGE"
    start=$SECONDS
    docker import \
        --change "LABEL $LABEL=$RECIPE" \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        "$tarball" "$BASE_IMAGE" >/dev/null
    log "import done in $((SECONDS - start)) s"
fi

for image in "$@"; do
    [[ $image == *:* || $image == *@* ]] || image="$image:latest"
    if [[ ${MLCONTAIN_FORCE_TAG:-0} != 1 ]] && docker image inspect "$image" >/dev/null 2>&1 &&
        [[ -z $(image_recipe "$image") ]]; then
        log "$image exists and is not ours; leaving it (MLCONTAIN_FORCE_TAG=1 to override)"
        continue
    fi
    docker tag "$BASE_IMAGE" "$image"
    log "tagged $image"
done
