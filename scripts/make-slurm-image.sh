#!/usr/bin/env bash
# Build the image the Slurm end-to-end test runs its cluster from:
#
#   scripts/make-slurm-image.sh        # prints the image name when done
#
# One Debian trixie root filesystem (debootstrap minbase from this machine's
# Debian mirror, like scripts/make-base-images.sh) with Debian's Slurm
# (slurmctld, slurmd, slurm-client), munge, and Apptainer from sid (pinned so
# nothing else comes from sid; Apptainer needs trixie's libc). The controller
# and both compute nodes of tests/slurm/ run from this one image.
#
# The finished root filesystem is cached as a tarball ($MLCONTAIN_TEST_CACHE,
# default ${XDG_CACHE_HOME:-$HOME/.cache}/mlcontain-test), so a rerun only
# imports it (seconds). Needs root (debootstrap) when nothing is cached, and a
# docker engine (scripts/docker-env.sh).
set -euo pipefail

RECIPE=v1 # bump when the recipe below changes
IMAGE=mlcontain-test/slurm-trixie:$RECIPE
LABEL=org.mlcontain.test.recipe

log() { printf 'make-slurm-image: %s\n' "$*" >&2; }
die() { printf 'make-slurm-image: error: %s\n' "$*" >&2; exit 1; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_dir="${MLCONTAIN_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlcontain-test}"
tarball="$cache_dir/slurm-trixie-$RECIPE.tar"

docker info >/dev/null 2>&1 || die "docker engine not reachable (run scripts/docker-env.sh as root)"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "$IMAGE already present"
    echo "$IMAGE"
    exit 0
fi

build_tarball() {
    [[ $(id -u) -eq 0 ]] || die "building the rootfs needs root (debootstrap)"
    command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
    local mirror work rootfs start=$SECONDS
    mirror="$("$script_dir/docker-env.sh" --print-mirror)"
    mkdir -p "$cache_dir"
    work="$(mktemp -d "$cache_dir/slurm-rootfs.XXXXXX")"
    # shellcheck disable=SC2064
    trap "umount -R '$work/rootfs/proc' 2>/dev/null || true; rm -rf '$work'" EXIT
    rootfs="$work/rootfs"
    log "debootstrap trixie from $mirror (a few minutes)"
    if ! debootstrap --variant=minbase --include=ca-certificates \
        trixie "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
        tail -n 40 "$work/debootstrap.log" >&2
        die "debootstrap failed"
    fi
    log "debootstrap done in $((SECONDS - start)) s; installing slurm, munge, apptainer"
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
    echo "deb $mirror trixie main" >"$rootfs/etc/apt/sources.list"
    echo "deb $mirror sid main" >"$rootfs/etc/apt/sources.list.d/sid.list"
    # Only apptainer (and what only sid has) may come from sid.
    printf 'Package: *\nPin: release n=sid\nPin-Priority: 100\n' >"$rootfs/etc/apt/preferences.d/sid"
    cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
    chmod +x "$rootfs/usr/sbin/policy-rc.d"
    mount -t proc proc "$rootfs/proc"
    chroot "$rootfs" /bin/sh -ec '
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o Acquire::Check-Valid-Until=false update -qq
        apt-get install -y -qq --no-install-recommends \
            slurmctld slurmd slurm-client munge python3 procps iproute2 \
            squashfuse fuse2fs fuse-overlayfs squashfs-tools >/dev/null
        apt-get install -y -qq --no-install-recommends apptainer >/dev/null
        apptainer --version
        dpkg-query -W slurmd munge
    ' >&2
    umount "$rootfs/proc"
    rm -f "$rootfs/etc/apt/sources.list.d/sid.list" "$rootfs/usr/sbin/policy-rc.d" \
        "$rootfs/etc/resolv.conf" "$rootfs/etc/hosts"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
    : >"$rootfs/etc/hostname"
    tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$work"
    trap - EXIT
    log "cached rootfs at $tarball ($(du -h "$tarball" | cut -f1)) after $((SECONDS - start)) s"
}

[[ -s $tarball ]] || build_tarball
start=$SECONDS
docker import \
    --change "LABEL $LABEL=$RECIPE" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["sleep", "infinity"]' \
    "$tarball" "$IMAGE" >/dev/null
log "imported $IMAGE in $((SECONDS - start)) s"
echo "$IMAGE"
