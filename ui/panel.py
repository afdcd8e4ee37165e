# SPDX-License-Identifier: GPL-3.0-or-later
"""The N-panel (3D Viewport sidebar, tab "BAT"): where to send, how to pack, the last result."""

from __future__ import annotations

from typing import Any, ClassVar

import bpy

from ..operators import runner
from ..operators.progress_view import human_bytes

OPERATOR_FOR_TARGET = {
    "SHAMAN": ("bat.pack_send_shaman", "Pack & Send to Shaman"),
    "DIRECTORY": ("bat.pack_directory", "Pack to Directory"),
    "ZIP": ("bat.pack_zip", "Pack to ZIP"),
    "S3": ("bat.pack_s3", "Pack to S3"),
}
LOCATION_FOR_TARGET = {
    "SHAMAN": "shaman_checkout",
    "DIRECTORY": "directory",
    "ZIP": "zip_path",
    "S3": "s3_path",
}
CATEGORY_LABELS = {"missing": "Missing", "outside_project": "Outside project", "absolute": "Absolute path"}
LIST_LIMIT = 30  # rows drawn per list; the JSON export has them all


class BAT_PT_main(bpy.types.Panel):  # noqa: N801 - Blender requires this naming
    bl_idname = "BAT_PT_main"
    bl_label = "Blender Asset Tracer"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "BAT"

    def draw(self, context: Any) -> None:
        settings = context.scene.bat_settings
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(settings, "target")
        layout.prop(settings, LOCATION_FOR_TARGET[settings.target])
        layout.prop(settings, "project_root")
        layout.prop(settings, "exclude")
        col = layout.column(heading="Options")
        col.prop(settings, "relative_only")
        col.prop(settings, "dry_run")
        col.prop(settings, "strict")
        col.prop(settings, "verify")
        busy = runner.running() is not None
        col = layout.column(align=True)
        col.enabled = not busy
        idname, text = OPERATOR_FOR_TARGET[settings.target]
        col.operator(idname, text=text, icon="EXPORT")
        col.operator("bat.check_dependencies", icon="VIEWZOOM")


class BAT_PT_result(bpy.types.Panel):  # noqa: N801 - Blender requires this naming
    bl_idname = "BAT_PT_result"
    bl_label = "Last Result"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "BAT"
    bl_parent_id = "BAT_PT_main"
    bl_options: ClassVar[set[str]] = set()

    def draw(self, context: Any) -> None:
        draw_result(self.layout, context.window_manager.bat_result)


def draw_result(layout: Any, result: Any) -> None:
    job = runner.running()
    if job is not None:
        layout.label(text=f"{job.title}: {job.view.stage_label}", icon="SORTTIME")
        layout.progress(factor=job.view.factor, type="BAR", text=job.view.summary() or "…")
        layout.operator("bat.cancel_job", icon="CANCEL")
        return
    if result.status == "NONE":
        layout.label(text="Nothing packed or checked yet")
        return
    icon = {"OK": "CHECKMARK", "WARNING": "ERROR", "FAILED": "CANCEL", "CANCELLED": "X"}.get(result.status, "INFO")
    col = layout.column(align=True)
    col.label(text=result.message, icon=icon)
    if result.target:
        col.label(text=f"Target: {result.target}")
    if result.checkout_path:
        col.label(text=f"Checkout: {result.checkout_path}")
    if result.main_blend_in_pack:
        col.label(text=f"Blend in pack: {result.main_blend_in_pack}")
    if result.files_total:
        col.label(text=f"{result.files_total} files, {human_bytes(int(result.bytes_total or 0))}")
    if result.uploaded_files:
        col.label(text=f"Uploaded {result.uploaded_files} files, {human_bytes(int(result.uploaded_bytes or 0))}")
    for category, label in CATEGORY_LABELS.items():
        items = [d for d in result.dependencies if d.category == category]
        if not items:
            continue
        box = layout.box()
        box.label(text=f"{label}: {len(items)}", icon="ERROR" if category == "missing" else "INFO")
        for dep in items[:LIST_LIMIT]:
            text = f"{dep.path}  ({dep.owner})" if dep.owner else dep.path
            box.label(text=text)
        if len(items) > LIST_LIMIT:
            box.label(text=f"… and {len(items) - LIST_LIMIT} more (export the report)")
    if result.report_json:
        layout.operator("bat.export_report", text="Export Report as JSON…", icon="EXPORT")


CLASSES = (BAT_PT_main, BAT_PT_result)
