# SPDX-License-Identifier: GPL-3.0-or-later
"""Status-bar progress of the running job: stage, a progress bar with files, bytes, rate and
ETA, and a cancel button. Draws nothing when no job runs."""

from __future__ import annotations

from typing import Any

import bpy

from ..operators import runner


def draw_status(self: Any, context: Any) -> None:
    job = runner.running()
    if job is None:
        return
    view = job.view
    layout = self.layout
    layout.separator_spacer()
    row = layout.row(align=True)
    row.label(text=f"BAT {view.stage_label}", icon="PACKAGE")
    text = view.summary() or view.message or "Starting…"
    bar = row.row(align=True)
    bar.ui_units_x = 18  # room for "12/40 files · 1.2 GB/3.4 GB · 5.6 MB/s · ETA 0:12"
    bar.progress(factor=view.factor, type="BAR", text=text)
    row.operator("bat.cancel_job", text="", icon="CANCEL")


def register() -> None:
    bpy.types.STATUSBAR_HT_header.append(draw_status)


def unregister() -> None:
    bpy.types.STATUSBAR_HT_header.remove(draw_status)
