# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender Asset Tracer as a Blender extension (package ``bl_ext.<repo>.blender_asset_tracer``).

This file is only the entry point Blender calls. bpy is imported inside register() and
unregister() so that importing the repository root (as the tests and the CLI may do) never
pulls in Blender; the pure-Python core lives in ``bat_core`` and never imports bpy.
"""

from __future__ import annotations


def register() -> None:
    from . import operators, ui

    ui.register_properties()
    operators.register()
    ui.register()


def unregister() -> None:
    from . import operators, ui

    # Reverse order of register(); each step tolerates a half-finished register().
    ui.unregister()
    operators.unregister()
    ui.unregister_properties()
