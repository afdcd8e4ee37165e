# SPDX-License-Identifier: GPL-3.0-or-later
"""Check dependencies (trace only) and export the last result as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import bpy
from bpy.props import BoolProperty, StringProperty

from ..ui import preferences
from ..ui.properties import path_options
from ._errors import AddonError
from .base import JobOperator, abspath, environment, explicit, flag
from .core_calls import CheckRequest, check_work
from .runner import Work
from .settings import Secrets, resolve


class BAT_OT_check_dependencies(JobOperator, bpy.types.Operator):  # noqa: N801 - Blender requires this naming
    """List missing files, files outside the project and absolute paths, with the datablocks using them"""

    bl_idname = "bat.check_dependencies"
    bl_label = "Check Dependencies"
    operation = "check"
    title = "Check Dependencies"

    project: StringProperty(name="Project Root", subtype="DIR_PATH", options=path_options("SKIP_SAVE"))  # type: ignore[valid-type]
    strict: BoolProperty(  # type: ignore[valid-type]
        name="Strict", options={"SKIP_SAVE"}, description="Fail when a referenced file is missing (for CI)"
    )
    export_json: StringProperty(  # type: ignore[valid-type]
        name="Export JSON", subtype="FILE_PATH", options=path_options("SKIP_SAVE"),
        description="Also write the result to this JSON file when done",
    )  # fmt: skip

    def build_work(self, context: Any, blend: Path) -> tuple[Work, Secrets]:
        scene = context.scene.bat_settings
        prefs = preferences.get(context)
        project = resolve(
            "project_root",
            explicit=explicit(self, "project"),
            scene=scene.project_root,
            preference=prefs.project_root if prefs is not None else "",
            env=environment(),
        )
        request = CheckRequest(blend, abspath(project), strict=flag(self, "strict", scene.strict))
        inner = check_work(request)
        export_to = abspath(self.export_json) if self.export_json else None
        if export_to is None:
            return inner, Secrets(())

        def work_and_export(listener: Any, cancel: Any) -> Any:
            summary = inner(listener, cancel)
            # Written by the worker from plain values, so batch runs get the file too.
            try:
                export_to.write_text(summary.to_json(), encoding="utf-8")
            except OSError as ex:
                raise AddonError(f"{export_to}: cannot write the dependency report: {ex.strerror}") from None
            return summary

        return work_and_export, Secrets(())


class BAT_OT_export_report(bpy.types.Operator):  # noqa: N801 - Blender requires this naming
    """Write the last BAT result (dependencies, missing files, the core's report) to a JSON file"""

    bl_idname = "bat.export_report"
    bl_label = "Export BAT Report"
    bl_options: ClassVar[set[str]] = {"REGISTER"}

    filepath: StringProperty(subtype="FILE_PATH", options=path_options("SKIP_SAVE"))  # type: ignore[valid-type]
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context: Any) -> bool:
        return bool(context.window_manager.bat_result.report_json)

    def invoke(self, context: Any, event: Any) -> set[str]:
        if not self.filepath:
            stem = Path(bpy.data.filepath).stem if bpy.data.filepath else "untitled"
            self.filepath = f"{stem}-bat-report.json"
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: Any) -> set[str]:
        target = abspath(self.filepath)
        if target is None:
            self.report({"ERROR"}, "BAT: no file name given for the report")
            return {"CANCELLED"}
        if target.suffix.lower() != ".json":
            target = target.with_suffix(".json")
        try:
            target.write_text(context.window_manager.bat_result.report_json, encoding="utf-8")
        except OSError as ex:
            self.report({"ERROR"}, f"BAT: {target}: cannot write the report: {ex.strerror}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"BAT: report written to {target}")
        return {"FINISHED"}


CLASSES = (BAT_OT_check_dependencies, BAT_OT_export_report)
