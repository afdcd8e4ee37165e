# SPDX-License-Identifier: GPL-3.0-or-later
"""Drawing only: menus, the N-panel, the status bar, the preferences. bpy is imported by the
functions below (not at import time) so the package stays importable without Blender."""

from __future__ import annotations

from typing import Any


def _classes() -> tuple[Any, ...]:
    from . import menus, panel

    return (*menus.CLASSES, *panel.CLASSES)


def register_properties() -> None:
    """Preferences and property groups first: the operators and panels read them."""
    import bpy

    from . import preferences, properties

    for cls in preferences.CLASSES:
        bpy.utils.register_class(cls)
    properties.register()


def unregister_properties() -> None:
    import bpy

    from . import preferences, properties

    properties.unregister()
    for cls in reversed(preferences.CLASSES):
        if getattr(cls, "is_registered", False):
            bpy.utils.unregister_class(cls)


def register() -> None:
    import bpy

    from . import menus, statusbar

    for cls in _classes():
        bpy.utils.register_class(cls)
    menus.register()
    statusbar.register()


def unregister() -> None:
    import bpy

    from . import menus, statusbar

    statusbar.unregister()
    menus.unregister()
    for cls in reversed(_classes()):
        if getattr(cls, "is_registered", False):
            bpy.utils.unregister_class(cls)
