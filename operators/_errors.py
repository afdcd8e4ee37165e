# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors the add-on glue raises itself (bad settings, core not available)."""

from __future__ import annotations

try:
    # Inside Blender the core is the sibling subpackage; in the tests it is top-level.
    from ..bat_core.errors import BatError
except ImportError:  # pragma: no cover - depends on how the package was imported
    from bat_core.errors import BatError


class AddonError(BatError):
    """A setting is missing or malformed, or the add-on cannot do what was asked."""


class CoreUnavailableError(AddonError):
    """The packing core (bat_core.api) cannot be imported in this build."""
