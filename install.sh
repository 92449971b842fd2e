#!/usr/bin/env bash
# Build mlcontain in release mode and install the binary:
#
#   ./install.sh                 -> ~/.local/bin/mlcontain
#   PREFIX=/usr/local ./install.sh  -> /usr/local/bin/mlcontain
#
# Safe to run again: the new binary replaces the old one atomically.
set -euo pipefail

die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo_root"

if ! command -v cargo >/dev/null 2>&1; then
    if [[ -f $HOME/.cargo/env ]]; then
        # shellcheck disable=SC1091
        source "$HOME/.cargo/env"
    fi
fi
command -v cargo >/dev/null 2>&1 ||
    die "cargo not found on PATH. Install the Rust toolchain (https://rustup.rs), then run this again."

prefix="${PREFIX:-$HOME/.local}"
bindir="$prefix/bin"

echo "install.sh: building mlcontain (release)..."
locked=()
if [[ -f Cargo.lock ]] && cargo metadata --locked --format-version 1 >/dev/null 2>&1; then
    locked=(--locked)
else
    echo "install.sh: Cargo.lock missing or out of date; building without --locked" >&2
fi
cargo build --release "${locked[@]}"

target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
built="$target_dir/release/mlcontain"
[[ -x $built ]] || die "build finished but $built is missing"

mkdir -p "$bindir" || die "cannot create $bindir"
tmp="$(mktemp "$bindir/.mlcontain.XXXXXX")" || die "cannot write to $bindir"
trap 'rm -f "$tmp"' EXIT
cp "$built" "$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$bindir/mlcontain"
trap - EXIT

version="$("$bindir/mlcontain" --version 2>/dev/null | head -n1 || true)"
echo "install.sh: installed ${version:-mlcontain} to $bindir/mlcontain"
case ":$PATH:" in
    *":$bindir:"* | *":${bindir%/}/:"*)
        echo "install.sh: $bindir is on your PATH; run: mlcontain --help"
        ;;
    *)
        echo "install.sh: $bindir is NOT on your PATH. Add this line to your shell profile"
        echo "            (~/.bashrc, ~/.zshrc or ~/.profile), then open a new shell:"
        echo
        # shellcheck disable=SC2016
        printf '    export PATH="%s:$PATH"\n' "$bindir"
        echo
        ;;
esac
