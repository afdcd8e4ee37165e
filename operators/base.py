# SPDX-License-Identifier: GPL-3.0-or-later
"""What every BAT job operator shares: settings lookup, the unsaved-changes policy, and the
job life cycle (synchronous in batch mode; worker thread + modal timer in the interface)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import bpy
from bpy.props import BoolProperty

from ..bat_core.errors import BatError
from ..ui import preferences
from . import runner
from ._errors import AddonError
from .reporting import verdict
from .runner import Job, Work
from .settings import Secrets, resolve
from .summary import JobSummary

TIMER_STEP = 0.1  # seconds between queue drains: smooth progress, negligible cost
SIDEBAR_STEP = 0.5  # seconds between redraws of the sidebar's progress bar while a job runs


def environment() -> dict[str, str]:
    import os

    return dict(os.environ)


def explicit(op: Any, name: str) -> str:
    """The operator property's value if the caller set it, else ""."""
    return str(getattr(op, name)) if op.properties.is_property_set(name) else ""


def flag(op: Any, name: str, fallback: bool) -> bool:
    return bool(getattr(op, name)) if op.properties.is_property_set(name) else fallback


def abspath(path: str) -> Path | None:
    """A path typed in Blender ('//' = next to the blend file) as an absolute Path, or None."""
    return Path(bpy.path.abspath(path)).resolve() if path else None


def setting(context: Any, op: Any, name: str, scene_attr: str = "", pref_attr: str = "") -> str:
    prefs = preferences.get(context)
    scene = getattr(context.scene.bat_settings, scene_attr) if scene_attr else ""
    pref = getattr(prefs, pref_attr or name, "") if prefs is not None else ""
    return resolve(
        pref_attr or name,
        explicit=explicit(op, name) if name in op.properties.bl_rna.properties else "",
        scene=scene,
        preference=pref,
        env=environment(),
    )


def unsaved_policy(context: Any) -> str:
    prefs = preferences.get(context)
    return str(prefs.unsaved_policy) if prefs is not None else "ASK"


def ensure_saved(op: Any, context: Any) -> Path:
    """The blend file on disk, saved first if the policy allows; never a stale file silently."""
    if not bpy.data.filepath:
        raise AddonError("This blend file was never saved: save it first, BAT packs the file on disk")
    blend = Path(bpy.data.filepath)
    policy = unsaved_policy(context)
    if bpy.app.background:
        # bpy.data.is_dirty means nothing in background mode: Blender 5.2 keeps it False after a
        # script edits the data, the bpy 5.0 module keeps it True even right after loading. So a
        # batch run packs the file as saved and says so, unless the policy is to save first.
        if policy == "SAVE":
            save_or_fail(blend)
        else:
            print(
                f"BAT: using {blend} as saved on disk; a script that changed it must save it "
                "first (bpy.ops.wm.save_mainfile()) or set 'Unsaved Changes' to 'Save First'",
                flush=True,
            )
        return blend
    if bpy.data.is_dirty:
        if policy == "SAVE" or (policy == "ASK" and op.save_confirmed):
            save_or_fail(blend)
        elif policy == "ASK":
            raise AddonError(
                f"{blend} has unsaved changes: save it first (or set the BAT preference "
                "'Unsaved Changes' to 'Save First')"
            )
        else:
            raise AddonError(f"{blend} has unsaved changes: save it first, BAT packs the file on disk")
    return blend


def save_or_fail(blend: Path) -> None:
    try:
        result = bpy.ops.wm.save_mainfile()
    except RuntimeError as ex:
        raise AddonError(f"{blend}: saving failed, nothing was packed: {ex}") from None
    if "FINISHED" not in result:
        raise AddonError(f"{blend}: saving failed, nothing was packed")


def require_online(target: str) -> None:
    if not bpy.app.online_access:
        raise AddonError(
            f"Blender's online access is off, so BAT will not contact {target}: enable "
            "Preferences › System › Network › Allow Online Access, or start Blender with --online-mode"
        )


def store_summary(context: Any, status: str, message: str, summary: JobSummary | None, operation: str) -> None:
    result = context.window_manager.bat_result
    result.status = status
    result.message = message
    result.operation = operation
    if summary is None:
        return
    result.target = summary.target
    result.checkout_path = summary.checkout_path
    result.main_blend_in_pack = summary.main_blend_in_pack
    result.dry_run = summary.dry_run
    result.files_total = summary.files_total
    result.bytes_total = str(summary.bytes_total)
    result.uploaded_files = summary.uploaded_files
    result.uploaded_bytes = str(summary.uploaded_bytes)
    result.dependencies.clear()
    for dep in summary.dependencies:
        item = result.dependencies.add()
        item.category, item.path, item.owner = dep.category, dep.path, dep.owner
    result.report_json = summary.to_json()


def clear_result(context: Any, status: str, message: str, operation: str) -> None:
    result = context.window_manager.bat_result
    for name in (
        "target",
        "checkout_path",
        "main_blend_in_pack",
        "bytes_total",
        "uploaded_bytes",
        "report_json",
    ):
        setattr(result, name, "")
    result.files_total = result.uploaded_files = 0
    result.dry_run = False
    result.dependencies.clear()
    store_summary(context, status, message, None, operation)


def redraw(context: Any, *, status_bar: bool = True, sidebar: bool = True) -> None:
    for window in context.window_manager.windows:
        if status_bar:
            # The status bar is not an area; this is how Blender asks it to redraw (keeps appended draws).
            window.workspace.status_text_set_internal(None)
        if not sidebar:
            continue
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                # Only the sidebar shows our state: redrawing the whole viewport costs a frame
                # of hundreds of milliseconds with software OpenGL, and the interface would lag.
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()


class _ProgressRedraw:
    """Spreads progress redraws over frames: the status bar follows every timer step, the
    sidebar's copy of the bar at most every SIDEBAR_STEP and never in the same frame as the
    status bar. With software OpenGL each region costs tens of milliseconds, and both in one
    frame made the longest pauses of the interface during an upload."""

    last_sidebar = 0.0

    @classmethod
    def tick(cls, context: Any) -> None:
        now = time.monotonic()
        if now - cls.last_sidebar >= SIDEBAR_STEP:
            cls.last_sidebar = now
            redraw(context, status_bar=False)
        else:
            redraw(context, sidebar=False)


def finish(op: Any, context: Any, job: Job) -> set[str]:
    """Main thread, after the worker ended: store and report the outcome, release the timer."""
    timer = getattr(op, "_timer", None)
    if timer is not None:
        context.window_manager.event_timer_remove(timer)
        op._timer = None
    runner.end(job)
    outcome = job.outcome
    assert outcome is not None
    found = verdict(outcome)
    if outcome.summary is not None:
        store_summary(context, found.status, found.message, outcome.summary, outcome.summary.operation)
    else:
        clear_result(context, found.status, found.message, op.operation)
    for error in job.view.errors:
        if error not in found.message:
            op.report({"WARNING"}, f"BAT: {error}")
    op.report({found.level}, found.message)
    redraw(context)
    return {"FINISHED"} if found.finished else {"CANCELLED"}


def handle_modal_event(op: Any, context: Any, event: Any) -> set[str]:
    job = runner.current()
    if job is None:
        # Unregistered or ended elsewhere: nothing left to follow.
        timer = getattr(op, "_timer", None)
        if timer is not None:
            context.window_manager.event_timer_remove(timer)
            op._timer = None
        return {"CANCELLED"}
    if event.type == "ESC" and event.value == "PRESS":
        job.cancel()
        job.view.message = "Cancelling…"
        redraw(context)
        return {"RUNNING_MODAL"}
    if event.type != "TIMER":
        return {"PASS_THROUGH"}
    done = job.finished  # read before draining: every event is queued before the outcome is set
    if job.pump():
        _ProgressRedraw.tick(context)
    if done:
        return finish(op, context, job)
    return {"PASS_THROUGH"}


class JobOperator:
    """Mixin for operators that run one BAT job. Subclasses set ``operation`` and ``title`` and
    implement ``build_work``; properties they declare override the panel and the preferences."""

    bl_options: ClassVar[set[str]] = {"REGISTER"}
    operation: ClassVar[str] = ""
    title: ClassVar[str] = ""

    save_confirmed: BoolProperty(options={"HIDDEN", "SKIP_SAVE"})  # type: ignore[valid-type]

    # --- subclass interface ---
    def build_work(self, context: Any, blend: Path) -> tuple[Work, Secrets]:
        raise NotImplementedError

    def missing_location(self, context: Any) -> bool:
        """True when the interface should ask for the target before running."""
        return False

    def draw_dialog(self, context: Any, layout: Any) -> None:
        pass

    # --- Blender operator API ---
    def draw(self, context: Any) -> None:
        layout = self.layout  # type: ignore[attr-defined]
        if self.save_confirmed:
            layout.label(text="The file has unsaved changes; it will be saved first.", icon="ERROR")
        self.draw_dialog(context, layout)

    def invoke(self, context: Any, event: Any) -> set[str]:
        dirty_ask = bool(bpy.data.filepath) and bpy.data.is_dirty and unsaved_policy(context) == "ASK"
        if dirty_ask or self.missing_location(context):
            self.save_confirmed = dirty_ask
            return context.window_manager.invoke_props_dialog(  # type: ignore[no-any-return]
                self, width=420, title=self.title, confirm_text="Save & Run" if dirty_ask else "Run"
            )
        return self.execute(context)

    def execute(self, context: Any) -> set[str]:
        try:
            blend = ensure_saved(self, context)
            work, secrets = self.build_work(context, blend)
        except BatError as ex:
            message = f"BAT: {ex}"
            clear_result(context, "FAILED", message, self.operation)
            self.report({"ERROR"}, message)  # type: ignore[attr-defined]
            return {"CANCELLED"}
        job = Job(self.title, work, secrets)
        if bpy.app.background or context.window is None:
            # Timers never fire in --background, so batch runs work here, on this thread.
            print(f"BAT: {self.title}: {blend}", flush=True)
            job.run_sync(sys.stdout)
            return finish(self, context, job)
        try:
            runner.begin(job)
        except BatError as ex:
            self.report({"ERROR"}, f"BAT: {ex}")  # type: ignore[attr-defined]
            return {"CANCELLED"}
        clear_result(context, "RUNNING", f"{self.title}…", self.operation)
        job.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_STEP, window=context.window)
        wm.modal_handler_add(self)
        redraw(context)
        return {"RUNNING_MODAL"}

    def modal(self, context: Any, event: Any) -> set[str]:
        return handle_modal_event(self, context, event)


class BAT_OT_cancel_job(bpy.types.Operator):  # noqa: N801 - Blender requires this naming
    """Stop the running BAT job (the status bar's cancel button; ESC does the same)"""

    bl_idname = "bat.cancel_job"
    bl_label = "Cancel BAT Job"
    bl_options: ClassVar[set[str]] = {"INTERNAL"}

    @classmethod
    def poll(cls, context: Any) -> bool:
        return runner.running() is not None

    def execute(self, context: Any) -> set[str]:
        job = runner.running()
        if job is not None:
            job.cancel()
            job.view.message = "Cancelling…"
        return {"FINISHED"}
