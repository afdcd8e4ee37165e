#!/usr/bin/env bash
# Build (or reuse) Debian's real Blender in a chroot with the shared realblender tools and print
# the variables the real-Blender tests read, for the calling shell to eval:
#
#     eval "$(bash scripts/realblender.sh)"
#
# BAT_REAL_BLENDER      a drop-in `blender` (headless; binds the working directory)
# BAT_REAL_BLENDER_GUI  the same with a window under Xvfb (scripts/realblender-gui)
# When the chroot cannot be had (no tools beside the repo, not root, build failure) it prints
# BAT_REAL_BLENDER_UNAVAILABLE with the reason instead, and the tests skip saying so.
# The tools live beside the repository: ../shared/tools/realblender (or $REALBLENDER_TOOLS).
# Build output goes to stderr and results/realblender/setup.log. Always exits 0.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${REALBLENDER_TOOLS:-$repo/../shared/tools/realblender}"
log="$repo/results/realblender/setup.log"
mkdir -p "$(dirname "$log")"

unavailable() {
    echo "realblender: $1" >&2
    printf 'unset BAT_REAL_BLENDER BAT_REAL_BLENDER_GUI; export BAT_REAL_BLENDER_UNAVAILABLE=%q\n' "$1"
    exit 0
}

[ -x "$tools/setup.sh" ] && [ -x "$tools/blender" ] || unavailable "no realblender tools at $tools"
tools="$(cd "$tools" && pwd)"
[ "$(id -u)" = 0 ] || unavailable "building the Blender chroot needs root (debootstrap, chroot, mount namespaces)"
echo "realblender: building or reusing the chroot with $tools/setup.sh (log: $log)" >&2
start=$SECONDS
if ! timeout "${REALBLENDER_SETUP_TIMEOUT:-1200}" "$tools/setup.sh" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    unavailable "the Blender chroot did not build (see results/realblender/setup.log)"
fi
version="$(cd /tmp && timeout 120 "$tools/blender" --version 2>/dev/null | head -n 1)"
[ -n "$version" ] || unavailable "the chroot's blender does not start (see results/realblender/setup.log)"
echo "realblender: $version ready in $((SECONDS - start)) s" >&2
printf 'export BAT_REAL_BLENDER=%q BAT_REAL_BLENDER_GUI=%q; unset BAT_REAL_BLENDER_UNAVAILABLE\n' \
    "$tools/blender" "$repo/scripts/realblender-gui"
