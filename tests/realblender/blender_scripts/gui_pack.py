# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs inside the real Blender with a window (Xvfb): Pack & Send to Shaman the way a user does.

    blender SHOT.blend --python gui_pack.py -- WORKDIR SHAMAN_URL CHECKOUT

The add-on is set up like a user would (Shaman URL in the preferences, checkout path and the
sidebar's BAT tab in the file), then X input events do the rest: xdotool clicks the File menu,
walks to "Pack & Send to Shaman" with the arrow keys (our entry is the second from the bottom)
and presses Return. Screenshots of the X screen (ImageMagick ``import``, what a user sees) go to
WORKDIR/shots/. Observations go to WORKDIR/gui.json, then Blender quits.

What is observed, from inside Blender, without touching the add-on's code:
- draw hooks appended after the add-on's own (File menu, status bar, result panel) record that
  each was drawn and with what: the status bar's progress factor and text, the panel's message;
- a bpy.app.timers tick logger records the gaps between main-loop iterations: a blocked
  interface shows up as a long gap.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import bpy

ARGS = sys.argv[sys.argv.index("--") + 1 :]
WORK, URL, CHECKOUT = Path(ARGS[0]), ARGS[1], ARGS[2]
SHOTS = WORK / "shots"
SHOTS.mkdir(parents=True, exist_ok=True)
PKG = "bl_ext.user_default.blender_asset_tracer"
FILE_MENU_XY = (38, 12)  # the File label at 1600x900 and UI scale 1 (window at the screen's corner)
STEP = 0.8  # seconds between user actions: software GL needs a few frames to show each one
DEADLINE = 120.0
SHOT_EVERY = 1.0  # seconds between progress screenshots during the job

T0 = time.monotonic()
facts: dict[str, Any] = {
    "blender": bpy.app.version_string,
    "python": sys.version.split()[0],
    "file_menu_draws": 0,
    "status_draws": [],
    "panel_draws": [],
    "screenshots": [],
    "steps": [],
}
ticks: list[float] = []
# One long-lived shell takes screenshots on request: starting a process per screenshot from
# Blender's main thread (fork of a large process) stalled the very main loop being measured.
# It runs at the lowest priority: the longest pauses of the interface came right after a
# screenshot started, while ImageMagick encoded the PNG on one of the two cores.
SHOOTER = subprocess.Popen(
    ["nice", "-n", "19", "sh", "-c", 'while IFS= read -r p; do import -window root "$p"; echo "$p"; done'],
    stdin=subprocess.PIPE,
    stdout=subprocess.PIPE,
    text=True,
    bufsize=1,
)
requested: list[str] = []
captured: list[str] = []


def _collect_captured() -> None:
    assert SHOOTER.stdout is not None
    for line in SHOOTER.stdout:
        captured.append(line.rstrip("\n"))


threading.Thread(target=_collect_captured, daemon=True).start()
state: dict[str, Any] = {
    "tab_clicks": 0, "tab_y": 0, "baseline_end": None, "sidebar_baseline_end": None, "seen_job": False,
    "last_shot": -10.0, "job_start": None, "job_end": None,
}  # fmt: skip


def now() -> float:
    return round(time.monotonic() - T0, 3)


def step(text: str) -> None:
    facts["steps"].append([now(), text])
    print(f"GUI {now():7.3f} {text}", flush=True)


def runner() -> Any:
    return sys.modules[f"{PKG}.operators.runner"]


def shoot(name: str, wait: bool = False) -> None:
    """Capture the X screen without blocking Blender's main loop (unless asked to)."""
    path = str(SHOTS / f"{name}.png")
    assert SHOOTER.stdin is not None
    SHOOTER.stdin.write(path + "\n")
    SHOOTER.stdin.flush()
    requested.append(path)
    facts["screenshots"].append({"name": name, "at": now()})
    if wait:
        wait_for_shots()


def shots_pending() -> bool:
    return len(captured) < len(requested)


def wait_for_shots(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while shots_pending() and time.monotonic() < deadline:
        time.sleep(0.01)


def xdotool(*args: str) -> None:
    # xdotool only queues X events and returns; Blender handles them after this timer returns.
    subprocess.run(["xdotool", *args], check=True, timeout=20)


# --- observers: appended after the add-on's draw functions -------------------------------------
def on_file_menu(self: Any, context: Any) -> None:
    facts["file_menu_draws"] += 1


def on_status(self: Any, context: Any) -> None:
    state["status_drawn_at"] = now()
    job = runner().running()
    if job is not None:
        facts["status_draws"].append([now(), round(job.view.factor, 4), job.view.stage_label, job.view.summary()])


def on_result_panel(self: Any, context: Any) -> None:
    result = context.window_manager.bat_result
    facts["panel_draws"].append([now(), result.status, result.message, result.checkout_path])


def tick() -> float:
    ticks.append(time.monotonic())
    return 0.0  # every main-loop iteration


# --- the user's session -------------------------------------------------------------------------
def view3d() -> tuple[Any, Any]:
    window = bpy.context.window_manager.windows[0]
    area = next(a for a in window.screen.areas if a.type == "VIEW_3D")
    return window, area


def set_up() -> None:
    """What a user did once: the add-on's preferences and the file's BAT tab."""
    prefs = bpy.context.preferences.addons[PKG].preferences
    prefs.shaman_url = URL
    bpy.context.preferences.system.use_online_access = True  # Preferences › System › Network
    facts["online_access"] = bpy.app.online_access
    bpy.context.scene.bat_settings.shaman_checkout = CHECKOUT
    window, area = view3d()
    facts["window"] = [window.width, window.height]
    area.spaces.active.show_region_ui = True
    facts["dirty_before"] = bpy.data.is_dirty
    bpy.types.TOPBAR_MT_file.append(on_file_menu)
    bpy.types.STATUSBAR_HT_header.append(on_status)
    bpy.types.BAT_PT_result.append(on_result_panel)
    bpy.app.timers.register(tick, first_interval=0.0)
    step("set up: Shaman URL in preferences, checkout path in the file, sidebar shown")
    bpy.app.timers.register(bat_tab, first_interval=STEP * 2)


def sidebar() -> tuple[Any, Any]:
    window, area = view3d()
    return window, next(r for r in area.regions if r.type == "UI")


def bat_tab() -> float | None:
    """Click down the sidebar's tab strip (its right edge), as a user looks for a tab, until BAT is active."""
    window, region = sidebar()
    category = region.active_panel_category
    top = window.y + window.height - (region.y + region.height)
    if category == "BAT" or state["tab_y"] > 400:
        facts["sidebar_category_before"] = category
        step(f"sidebar tab: {category} after {state['tab_clicks']} clicks on the tab strip")
        bpy.app.timers.register(baseline, first_interval=STEP)
        return None
    x = window.x + region.x + region.width - 10
    state["tab_y"] += 18
    xdotool("mousemove", str(x), str(top + state["tab_y"]), "click", "1")
    state["tab_clicks"] += 1
    return STEP / 2


def redraw_like_the_add_on() -> float | None:
    """The add-on's redraw while a job runs: the status bar and whole 3D Viewport areas."""
    for window in bpy.context.window_manager.windows:
        window.workspace.status_text_set_internal(None)
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()
    return 0.1 if state["baseline_end"] is None else None


def redraw_sidebar_only() -> float | None:
    """For comparison: the status bar and only the sidebars, where the progress is drawn."""
    for window in bpy.context.window_manager.windows:
        window.workspace.status_text_set_internal(None)
        for area in window.screen.areas:
            for region in area.regions if area.type == "VIEW_3D" else ():
                if region.type == "UI":
                    region.tag_redraw()
    return 0.1 if state["sidebar_baseline_end"] is None else None


def baseline() -> None:
    """Two seconds without a job but with the add-on's redraw pattern: what drawing alone costs."""
    xdotool("mousemove", "700", "450")
    state["baseline_start"] = len(ticks)
    bpy.app.timers.register(redraw_like_the_add_on, first_interval=0.0)
    bpy.app.timers.register(baseline_done, first_interval=2.0)


def baseline_done() -> None:
    state["baseline_end"] = len(ticks)
    facts["ticks_baseline_redraw"] = gap_stats(ticks[state["baseline_start"] : state["baseline_end"]])
    step(f"baseline, add-on's redraw: {facts['ticks_baseline_redraw']}")
    state["sidebar_baseline_start"] = len(ticks)
    bpy.app.timers.register(redraw_sidebar_only, first_interval=0.0)
    bpy.app.timers.register(sidebar_baseline_done, first_interval=2.0)


def sidebar_baseline_done() -> None:
    state["sidebar_baseline_end"] = len(ticks)
    facts["ticks_baseline_sidebar_redraw"] = gap_stats(ticks[state["sidebar_baseline_start"] : len(ticks)])
    step(f"baseline, sidebar-only redraw: {facts['ticks_baseline_sidebar_redraw']}")
    bpy.app.timers.register(idle_shot, first_interval=STEP)


def idle_shot() -> None:
    shoot("0_before", wait=True)
    step("open the File menu with a click")
    xdotool("mousemove", str(FILE_MENU_XY[0]), str(FILE_MENU_XY[1]), "click", "1")
    bpy.app.timers.register(menu_open, first_interval=STEP)


def menu_open() -> None:
    facts["file_menu_draws_after_click"] = facts["file_menu_draws"]
    step("arrow keys to the entry: Up (Pack with BAT), Up (Pack & Send to Shaman)")
    xdotool("key", "Up", "Up")
    bpy.app.timers.register(entry_highlighted, first_interval=STEP)


def entry_highlighted() -> None:
    shoot("1_file_menu_entry", wait=True)
    step("Return: run Pack & Send to Shaman")
    facts["clicked_at"] = now()
    xdotool("key", "Return")
    bpy.app.timers.register(follow, first_interval=0.05)


def follow() -> float | None:
    job = runner().current()
    t = now()
    if job is not None:
        if not state["seen_job"]:
            state["seen_job"] = True
            state["job_start"] = t
            state["tick_start"] = len(ticks)
            step(f"job running: {job.title}")
        # Capture right after the status bar was drawn part-way: that frame is on the screen now.
        busy = shots_pending()
        drawn = facts["status_draws"][-1] if facts["status_draws"] else None
        # One screenshot a second at most: each one makes Xvfb and ImageMagick compete with
        # Blender for the two cores, which lengthened the very frames being measured.
        due = t - state["last_shot"] >= SHOT_EVERY
        if due and not busy and drawn is not None and drawn[0] > state["last_shot"] and 0.05 < drawn[1] < 0.95:
            state["last_shot"] = t
            shoot(f"2_progress_{len([s for s in facts['screenshots'] if s['name'].startswith('2_')]):02d}")
        return 0.02
    if state["seen_job"] and state["job_end"] is None:
        state["job_end"] = t
        state["tick_end"] = len(ticks)
        step(f"job ended: {bpy.context.window_manager.bat_result.status}")
        bpy.app.timers.register(finished, first_interval=STEP * 1.5)
        return None
    if t - facts["clicked_at"] > 30:
        step("no job started within 30 s of Return")
        bpy.app.timers.register(finished, first_interval=0.1)
        return None
    return 0.02


def gap_stats(stamps: list[float]) -> dict[str, Any]:
    gaps = sorted(b - a for a, b in itertools.pairwise(stamps))
    if not gaps:
        return {"ticks": len(stamps)}
    return {
        "ticks": len(stamps),
        "max_gap_ms": round(gaps[-1] * 1000, 1),
        "p99_gap_ms": round(gaps[int(len(gaps) * 0.99)] * 1000, 1),
        "median_gap_ms": round(gaps[len(gaps) // 2] * 1000, 2),
        "gaps_over_100ms": sum(1 for g in gaps if g > 0.1),
        # When the longest gaps began (seconds since start, like steps and screenshots), to tell
        # what caused them.
        "longest": [
            [round(a - T0, 3), round((b - a) * 1000, 1)]
            for a, b in sorted(itertools.pairwise(stamps), key=lambda ab: ab[0] - ab[1])[:5]
        ],
    }


def pixels(name: str) -> Any:
    """A screenshot as an RGB array, row 0 at the bottom like Blender's window coordinates."""
    import numpy as np

    image = bpy.data.images.load(str(SHOTS / f"{name}.png"))
    width, height = image.size
    rgba = np.empty(width * height * 4, dtype=np.float32)
    image.pixels.foreach_get(rgba)
    bpy.data.images.remove(image)
    return rgba.reshape(height, width, 4)[:, :, :3]


def blue_pixels(rgb: Any) -> int:
    """Pixels of the progress bar's fill colour (a clear blue), as opposed to the grey interface."""
    return int(((rgb[:, :, 2] > rgb[:, :, 0] + 0.2) & (rgb[:, :, 2] > 0.5)).sum())


def analyse_screenshots() -> None:
    """What the screenshots show: the status bar strip and the sidebar, per screenshot."""
    status_rows = 26  # the status bar at UI scale 1, at the bottom of the window
    _, region = sidebar()
    found = {}
    for shot in facts["screenshots"]:
        rgb = pixels(shot["name"])
        panel = rgb[region.y : region.y + region.height, region.x : region.x + region.width]
        found[shot["name"]] = {
            # The right part, where the job's progress bar sits; reports flash in the middle.
            "status_bar_blue_px": blue_pixels(rgb[:status_rows, int(rgb.shape[1] * 0.7) :]),
            "sidebar_blue_px": blue_pixels(panel),
        }
    before = pixels("0_before")[region.y : region.y + region.height, region.x : region.x + region.width]
    done = pixels("3_done")[region.y : region.y + region.height, region.x : region.x + region.width]
    facts["sidebar_changed_fraction"] = round(float((abs(done - before).sum(axis=2) > 0.05).mean()), 4)
    facts["pixels"] = found


def redrawn_since_the_end() -> bool:
    """Status bar and sidebar were drawn after the job ended: the finished state is on screen."""
    end = state["job_end"]
    panel = facts["panel_draws"][-1][0] if facts["panel_draws"] else -1.0
    return end is not None and state.get("status_drawn_at", -1.0) > end and panel > end


def finished() -> float | None:
    if not redrawn_since_the_end() and now() - (state["job_end"] or 0.0) < 10 and not state.get("giving_up"):
        return 0.2
    wait_for_shots()
    shoot("3_done", wait=True)
    try:
        analyse_screenshots()
    except Exception as ex:  # report, do not hang: the test says what is missing
        facts["pixels_error"] = repr(ex)
    result = bpy.context.window_manager.bat_result
    facts["result"] = {
        "status": result.status,
        "message": result.message,
        "checkout_path": result.checkout_path,
        "files_total": result.files_total,
        "uploaded_files": result.uploaded_files,
        "uploaded_bytes": result.uploaded_bytes,
    }
    facts["job_window_s"] = [state["job_start"], state["job_end"]]
    if state["job_end"] is not None:
        facts["ticks_during_job"] = gap_stats(ticks[state["tick_start"] : state["tick_end"]])
    facts["ticks_whole_session"] = gap_stats(ticks)
    facts["sidebar_category"] = getattr(
        next(r for r in view3d()[1].regions if r.type == "UI"), "active_panel_category", None
    )
    (WORK / "gui.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
    step("quit")
    if SHOOTER.stdin is not None:
        SHOOTER.stdin.close()
    SHOOTER.wait(timeout=10)
    bpy.ops.wm.quit_blender()
    return None


def watchdog() -> None:
    step("deadline reached: giving up")
    state["giving_up"] = True
    finished()


bpy.app.timers.register(set_up, first_interval=1.0)
bpy.app.timers.register(watchdog, first_interval=DEADLINE)
