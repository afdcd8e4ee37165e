#!/usr/bin/env bash
# Create or refresh the project's virtual environment (.venv) with the pinned
# versions from requirements/dev.txt. Sourced by scripts/test and scripts/demo;
# safe to run on its own. Re-installs only when the requirements change.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${BAT_VENV:-$repo/.venv}"
req="$repo/requirements/dev.txt"
constraints="$repo/requirements/constraints.txt"
py="${BAT_PYTHON:-python3}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

apt_install() {
    # Debian's python3 ships without venv/pip, and the bpy module needs a few X/GL
    # client libraries even when it never opens a window.
    command -v apt-get >/dev/null || return 0
    as_root apt-get update -qq >/dev/null && \
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
    echo "env: installing python3-venv" >&2
    apt_install python3-venv python3-pip || { echo "env: python3-venv is missing; install it and retry" >&2; exit 1; }
fi

stamp="$venv/.requirements.sha256"
want="$(cat "$req" "$constraints" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "env: preparing $venv (pinned versions from requirements/dev.txt)" >&2
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
    # pip's notes about extra index folders that this machine lacks are noise, not errors.
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" -c "$constraints" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) \
        || { echo "env: installing requirements/dev.txt failed" >&2; exit 1; }
    echo "$want" > "$stamp"
fi

if ! "$venv/bin/python" -c 'import bpy' >/dev/null 2>&1; then
    echo "env: installing the system libraries the bpy module needs" >&2
    apt_install libx11-6 libxrender1 libxxf86vm1 libxfixes3 libxi6 libxkbcommon0 libsm6 libgl1 libegl1 libgomp1 || true
    "$venv/bin/python" -c 'import bpy' >/dev/null || { echo "env: 'import bpy' fails in $venv" >&2; exit 1; }
fi
export BAT_VENV_PYTHON="$venv/bin/python"
