# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender operators of the add-on: read settings, build plain requests, run them through the
core (see runner.py). The bpy-free modules here (settings, summary, runner, progress_view,
reporting, core_calls) can be imported and tested without Blender; bpy is only imported by
register()."""

from __future__ import annotations

from typing import Any


def classes() -> tuple[Any, ...]:
    from . import base, check, pack

    return (base.BAT_OT_cancel_job, *pack.CLASSES, *check.CLASSES)


def register() -> None:
    import bpy

    for cls in classes():
        bpy.utils.register_class(cls)


def unregister() -> None:
    import bpy

    from . import runner

    # A running job must not outlive its operators: cancel it and wait briefly for the worker.
    runner.shutdown()
    for cls in reversed(classes()):
        if getattr(cls, "is_registered", False):
            bpy.utils.unregister_class(cls)
