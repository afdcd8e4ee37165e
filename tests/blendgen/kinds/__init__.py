# SPDX-License-Identifier: GPL-3.0-or-later
"""Builders, one function per kind (bpy only: imported by the generator's child process)."""

from __future__ import annotations

from collections.abc import Callable

from blendgen.kinds import caches, images, libraries, media, nodes, sequencer, sim
from blendgen.kinds.names import KIND_NAMES
from blendgen.recorder import Recorder

_MODULES = (images, libraries, media, caches, sim, nodes, sequencer)

BUILDERS: dict[str, Callable[[Recorder], None]] = {
    name: getattr(module, name) for module in _MODULES for name in KIND_NAMES if hasattr(module, name)
}

_missing = set(KIND_NAMES) - set(BUILDERS)
if _missing:
    raise RuntimeError(f"kinds without a builder: {sorted(_missing)}")
