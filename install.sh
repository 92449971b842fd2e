#!/usr/bin/env bash
# Build mlcontain in release mode and install the binary:
#
#   ./install.sh                 -> ~/.local/bin/mlcontain
#                                   ~/.local/share/man/man1/mlcontain.1
#   PREFIX=/usr/local ./install.sh  -> /usr/local/bin/mlcontain
#                                   /usr/local/share/man/man1/mlcontain.1
#   MANDIR=DIR ./install.sh      -> the manual page in DIR (MANDIR= skips it)
#
# Safe to run again: the new binary and manual page replace the old ones
# atomically.
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

# The manual page (`mlcontain man`): best-effort, the binary is installed.
mandir="${MANDIR-$prefix/share/man/man1}"
if [[ -n $mandir ]]; then
    if mkdir -p "$mandir" 2>/dev/null && mtmp="$(mktemp "$mandir/.mlcontain.1.XXXXXX" 2>/dev/null)"; then
        if "$bindir/mlcontain" man >"$mtmp" && [[ -s $mtmp ]] && chmod 644 "$mtmp" &&
            mv -f "$mtmp" "$mandir/mlcontain.1"; then
            echo "install.sh: installed the manual page to $mandir/mlcontain.1 (man mlcontain)"
        else
            rm -f "$mtmp"
            echo "install.sh: warning: could not write the manual page; run: mlcontain man | man -l -" >&2
        fi
    else
        echo "install.sh: warning: cannot write to $mandir; skipped the manual page (MANDIR=DIR chooses another)" >&2
    fi
fi
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
