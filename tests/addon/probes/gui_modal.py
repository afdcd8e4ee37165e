# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe for a real Blender with a window (Xvfb): the interactive path for real. A pack
operator is invoked from a timer like a click would, its modal handler and window-manager
timer follow a worker thread, a real ESC event (--enable-event-simulate) cancels a second run.

Run: blender --enable-event-simulate --python gui_modal.py -- WORKDIR   (extension installed)
Writes WORKDIR/gui.json; quits Blender when done.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bpy
from common import PKG, make_production, module

WORK = Path(sys.argv[sys.argv.index("--") + 1])
facts: dict[str, Any] = {"runs": []}
state: dict[str, Any] = {}


def use_standin_core() -> None:
    import standin_api

    standin_api.DELAY = 0.4
    os.environ["BAT_STANDIN_LOG"] = str(WORK / "standin.log")
    sys.modules[f"{PKG}.bat_core.api"] = standin_api
    module("bat_core").api = standin_api


def view3d_override() -> dict[str, Any]:
    window = bpy.context.window_manager.windows[0]
    area = next(a for a in window.screen.areas if a.type == "VIEW_3D")
    return {"window": window, "screen": window.screen, "area": area, "region": area.regions[-1]}


def start(name: str, esc_after: float | None) -> None:
    out = WORK / f"out-{name}"
    with bpy.context.temp_override(**view3d_override()):
        returned = bpy.ops.bat.pack_directory("INVOKE_DEFAULT", directory=str(out))
    state.update(name=name, out=out, began=time.monotonic(), last_tick=time.monotonic(), max_gap=0.0,
                 seen=set(), esc_after=esc_after, esc_sent=False, returned=sorted(returned))  # fmt: skip


def poll() -> float | None:
    """A timer on the main thread: if the UI is blocked, the gap between calls grows."""
    now = time.monotonic()
    state["max_gap"] = max(state["max_gap"], now - state["last_tick"])
    state["last_tick"] = now
    job = module("operators.runner").current()
    if job is not None:
        state["seen"].add(job.view.files_done)
        if state["esc_after"] is not None and not state["esc_sent"] and now - state["began"] > state["esc_after"]:
            window = bpy.context.window_manager.windows[0]
            window.event_simulate(type="ESC", value="PRESS")
            window.event_simulate(type="ESC", value="RELEASE")
            state["esc_sent"] = True
        return 0.05
    if now - state["began"] > 60:
        facts["timeout"] = True
    result = bpy.context.window_manager.bat_result
    facts["runs"].append({
        "name": state["name"], "returned": state["returned"], "status": result.status, "message": result.message,
        "progress_values_seen": sorted(state["seen"]), "max_gap_s": round(state["max_gap"], 3),
        "copied": sorted(p.name for p in state["out"].rglob("*") if p.is_file()) if state["out"].exists() else [],
        "elapsed_s": round(now - state["began"], 2),
    })  # fmt: skip
    if state["name"] == "progress":
        start("esc", esc_after=0.3)
        return 0.05
    # No target directory anywhere: invoking asks for it in a dialog instead of running.
    bpy.context.scene.bat_settings.directory = ""
    with bpy.context.temp_override(**view3d_override()):
        facts["dialog_returned"] = sorted(bpy.ops.bat.pack_directory("INVOKE_DEFAULT"))
    facts["dialog_started_job"] = module("operators.runner").current() is not None
    bpy.app.timers.register(close_dialog_and_quit, first_interval=0.5)
    return None


def close_dialog_and_quit() -> None:
    window = bpy.context.window_manager.windows[0]
    window.event_simulate(type="ESC", value="PRESS")
    window.event_simulate(type="ESC", value="RELEASE")
    facts["result_after_dialog"] = bpy.context.window_manager.bat_result.status
    (WORK / "gui.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
    bpy.ops.wm.quit_blender()


def begin() -> None:
    prefs = bpy.context.preferences.addons[PKG].preferences
    prefs.unsaved_policy = "SAVE"
    facts["blender"] = bpy.app.version_string
    make_production(WORK / "project")
    use_standin_core()
    start("progress", esc_after=None)
    bpy.app.timers.register(poll, first_interval=0.05)


bpy.app.timers.register(begin, first_interval=1.0)
