#!/usr/bin/env bash
# Set up a working Docker engine (with compose v2 and buildx CLI plugins) on a
# Debian bookworm machine, for the Docker end-to-end tests. Needs root.
#
#   1. apt-get install docker.io debootstrap        (bookworm packages)
#   2. docker compose / docker buildx plugins        (bookworm lacks them; the
#      trixie docker-compose / docker-buildx packages are static Go binaries,
#      fetched from the SAME mirror this machine uses and unpacked with dpkg -x)
#   3. start dockerd in the background unless the socket already answers
#
# Idempotent: every step is skipped when already done.
# Environment:
#   DOCKERD_LOG   where dockerd logs (default /var/log/mlcontain-dockerd.log)
#   SKIP_APT_UPDATE=1   do not run apt-get update before installing
#   MLCONTAIN_DEBIAN_MIRROR   override the mirror read from /etc/apt/sources.list*
#   DOCKERD_EXTRA_ARGS  extra dockerd flags (word-split)
#
# `docker-env.sh --print-mirror` only prints the mirror (no root needed).
set -euo pipefail

log() { printf 'docker-env: %s\n' "$*"; }
die() { printf 'docker-env: error: %s\n' "$*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
PLUGIN_DIR=/usr/libexec/docker/cli-plugins
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/mlcontain-dockerd.log}"

# Print the Debian mirror URI this machine uses ($MLCONTAIN_DEBIAN_MIRROR wins) (the first one serving a plain
# bookworm suite), from deb822 *.sources files or one-line *.list files.
debian_mirror() {
    local f
    if [[ -n ${MLCONTAIN_DEBIAN_MIRROR:-} ]]; then
        echo "${MLCONTAIN_DEBIAN_MIRROR%/}"
        return
    fi
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [[ -f $f ]] || continue
            # deb822: blank-line separated stanzas; "URIs:" and "Suites:" fields.
            awk '
                /^[[:space:]]*#/ { next }
                /^[[:space:]]*$/ { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri; uri = ""; suites = ""; next }
                tolower($1) == "uris:"   { uri = $2 }
                tolower($1) == "suites:" { $1 = ""; suites = $0 " " }
                END { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri }
            ' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [[ -f $f ]] || continue
            # one-line: deb [opts] URI suite components...
            sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' "$f"
        done
    } | head -n1 | sed -E 's:/+$::'
}


if [[ ${1:-} == --print-mirror ]]; then
    m="$(debian_mirror)"
    [[ -n $m ]] || die "no Debian bookworm mirror found in /etc/apt/sources.list*"
    echo "$m"
    exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v apt-get >/dev/null || die "apt-get not found (Debian/Ubuntu only)"

# --- 1. Debian packages ------------------------------------------------------
need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
if ((${#need_pkgs[@]})); then
    if [[ ${SKIP_APT_UPDATE:-0} != 1 ]]; then
        log "apt-get update"
        apt-get update -qq
    fi
    log "installing ${need_pkgs[*]}"
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
else
    log "docker.io and debootstrap already installed"
fi

# --- 2. compose v2 + buildx plugins from trixie --------------------------------
# The docker CLI (both /usr/bin/docker and any /usr/local/bin/docker) searches
# ~/.docker/cli-plugins, /usr/local/lib/docker/cli-plugins,
# /usr/local/libexec/docker/cli-plugins, /usr/lib/docker/cli-plugins and
# /usr/libexec/docker/cli-plugins; the Debian packages install into the last.
have_plugins() {
    [[ -x $PLUGIN_DIR/docker-compose && -x $PLUGIN_DIR/docker-buildx ]] &&
        docker compose version >/dev/null 2>&1 &&
        docker buildx version >/dev/null 2>&1
}

if have_plugins; then
    log "compose and buildx plugins already present"
else
    mirror="$(debian_mirror)"
    [[ -n $mirror ]] || die "could not find the Debian mirror in /etc/apt/sources.list*"
    log "fetching trixie docker-compose and docker-buildx from $mirror"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    echo "deb [signed-by=$keyring] $mirror trixie main" >"$tmp/trixie.list"
    apt_opts=(
        -o "Dir::Etc::sourcelist=$tmp/trixie.list"
        -o "Dir::Etc::sourceparts=-"
        -o "Dir::State::Lists=$tmp/lists"
        -o "Dir::Cache=$tmp/cache"
        -o "APT::Get::List-Cleanup=0"
        -o "Debug::NoLocking=1"
        -o "APT::Sandbox::User=root"
    )
    apt-get "${apt_opts[@]}" update -qq
    (cd "$tmp/debs" && apt-get "${apt_opts[@]}" download docker-compose docker-buildx)
    for deb in "$tmp"/debs/*.deb; do
        log "unpacking $(basename "$deb")"
        dpkg -x "$deb" /
    done
    rm -rf "$tmp"
    trap - EXIT
    for p in docker-compose docker-buildx; do
        [[ -x $PLUGIN_DIR/$p ]] || die "$PLUGIN_DIR/$p missing after unpacking"
    done
    have_plugins || die "docker compose/buildx do not run after unpacking"
fi
log "$(docker compose version)"
log "buildx $(docker buildx version)"

# --- 3. dockerd -------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
    log "docker engine already answering"
else
    if [[ -S /var/run/docker.sock ]] && pgrep -x dockerd >/dev/null; then
        log "dockerd is running but not answering yet; waiting"
    else
        # Containers get the host's DNS servers: dockerd copies /etc/resolv.conf
        # unless it only lists loopback resolvers (then it falls back to public
        # DNS, which may be unreachable here), so pass them explicitly.
        dns_args=()
        while read -r ns; do
            case $ns in
                127.* | ::1 | "") ;;
                *) dns_args+=(--dns "$ns") ;;
            esac
        done < <(awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf 2>/dev/null || true)
        log "starting dockerd (log: $DOCKERD_LOG)"
        mkdir -p "$(dirname "$DOCKERD_LOG")"
        # shellcheck disable=SC2086
        nohup dockerd "${dns_args[@]}" ${DOCKERD_EXTRA_ARGS:-} >>"$DOCKERD_LOG" 2>&1 </dev/null &
        disown || true
    fi
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        die "docker engine did not come up within 60 s (see $DOCKERD_LOG)"
    fi
fi
log "engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) ($(docker info --format '{{.Driver}}' 2>/dev/null) storage)"
