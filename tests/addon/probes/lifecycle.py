# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe: install the built zip as an extension, then enable -> disable -> enable, recording
what is registered at each step, the preference subtypes, and what the draw functions draw."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import bpy
from common import PKG, bat_threads, draw, emit, install, module

addon_utils = importlib.import_module("addon_utils")  # on sys.path only once bpy is imported
HANDLER_LISTS = [n for n in dir(bpy.app.handlers) if isinstance(getattr(bpy.app.handlers, n), list)]


def snapshot() -> dict[str, Any]:
    ours = lambda fns: [f"{f.__module__}.{f.__qualname__}" for f in fns if f.__module__.startswith(PKG)]  # noqa: E731
    return {
        "loaded": addon_utils.check(PKG)[1],
        "types": sorted(n for n in dir(bpy.types) if n.startswith("BAT_")),
        "operators": sorted(dir(bpy.ops.bat)),
        "file_menu_draws": ours(bpy.types.TOPBAR_MT_file._dyn_ui_initialize()),
        "status_draws": ours(bpy.types.STATUSBAR_HT_header._dyn_ui_initialize()),
        "scene_prop": hasattr(bpy.types.Scene, "bat_settings"),
        "wm_prop": hasattr(bpy.types.WindowManager, "bat_result"),
        "handlers": {n: len(getattr(bpy.app.handlers, n)) for n in HANDLER_LISTS},
        "threads": bat_threads(),
    }


def operator_properties() -> dict[str, list[str]]:
    found = {}
    for name in dir(bpy.ops.bat):
        rna = getattr(bpy.ops.bat, name).get_rna_type()
        found[name] = sorted(p.identifier for p in rna.properties if p.identifier != "rna_type")
    return found


def draw_everything() -> dict[str, Any]:
    menus, statusbar, panel = module("ui.menus"), module("ui.statusbar"), module("ui.panel")
    drawn: dict[str, Any] = {}
    for label, fn in [
        ("file_menu", menus.draw_file_menu),
        ("targets_menu", menus.BAT_MT_pack_targets.draw),
        ("status_idle", statusbar.draw_status),
        ("panel", panel.BAT_PT_main.draw),
        ("result", panel.BAT_PT_result.draw),
        ("preferences", module("ui.preferences").BAT_AP_preferences.draw),
    ]:
        layout = draw(fn) if label != "preferences" else _draw_preferences(fn)
        drawn[label] = {"calls": layout.calls, "problems": layout.problems}
    # Every target choice draws its own location field.
    settings = bpy.context.scene.bat_settings
    for target in ("SHAMAN", "DIRECTORY", "ZIP", "S3"):
        settings.target = target
        layout = draw(panel.BAT_PT_main.draw)
        drawn[f"panel_{target}"] = {"calls": layout.calls, "problems": layout.problems}
    settings.target = "SHAMAN"
    return drawn


def _draw_preferences(fn: Any) -> Any:
    # AddonPreferences.draw reads self.<prop>; give it the real preferences plus a recording layout.
    from common import RecordingLayout

    prefs = bpy.context.preferences.addons[PKG].preferences

    class Self:
        layout = RecordingLayout()

        def __getattr__(self, name: str) -> Any:
            return getattr(prefs, name)

    drawer = Self()
    fn(drawer, bpy.context)
    return drawer.layout


def import_core() -> dict[str, Any]:
    """Import every bat_core module under the extension's package name, as Blender would."""
    package = importlib.import_module(f"{PKG}.bat_core")
    failed, count = {}, 0
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith("__main__"):
            continue  # runs the CLI
        count += 1
        try:
            importlib.import_module(info.name)
        except Exception as ex:
            failed[info.name] = f"{type(ex).__name__}: {ex}"
    top_level = sorted(n for n in sys.modules if n == "bat_core" or n.startswith("bat_core."))
    return {"count": count, "failed": failed, "top_level": top_level}


def main() -> None:
    facts: dict[str, Any] = {"before": snapshot()}
    install(sys.argv[1])
    facts["installed"] = snapshot()
    facts["package"] = module("operators").__package__.rpartition(".")[0]
    facts["operator_properties"] = operator_properties()
    prefs_rna = bpy.context.preferences.addons[PKG].preferences.bl_rna.properties
    facts["pref_subtypes"] = {p.identifier: p.subtype for p in prefs_rna if p.identifier != "rna_type"}
    facts["drawn"] = draw_everything()
    facts["core_imports"] = import_core()
    # default_set=False: unregister/register only; leaving the preferences (and the shared
    # wheel folder, which Blender re-syncs on every preference change) alone keeps this fast.
    addon_utils.disable(PKG, default_set=False)
    facts["disabled"] = snapshot()
    addon_utils.enable(PKG, default_set=False)
    facts["reenabled"] = snapshot()
    facts["drawn_after_reenable"] = draw_everything()
    emit(facts)


main()
