# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe: the interactive path's event handling, driven with synthetic events.

Background mode has no window, so no modal handler can be added; instead the real
``BAT_OT_pack_directory.modal`` is called with synthetic TIMER/ESC/mouse events while a real
job (copying real files in a worker thread, emitting ProgressEvents) runs, exactly as the
window manager would call it. The status bar and the N-panel are drawn while it runs."""

from __future__ import annotations

import dataclasses
import importlib
import sys
import time
from pathlib import Path
from typing import Any

import bpy
from common import PKG, Event, RecordingOperator, bat_threads, draw, emit, install, make_production, module

WORK = Path.cwd()


def core(name: str) -> Any:
    return importlib.import_module(f"{PKG}.bat_core.{name}")


def copier(count: int, size: int, pause: float) -> Any:
    src = WORK / "src"
    src.mkdir(exist_ok=True)
    files = []
    for i in range(count):
        path = src / f"plate_{i:03d}.exr"
        path.write_bytes(bytes([i]) * size)
        files.append(path)
    out = WORK / f"out-{count}-{pause}"
    summary_mod = module("operators.summary")

    def work(listener: Any, cancel: Any) -> Any:
        out.mkdir()
        total, done = count * size, 0
        for index, path in enumerate(files):
            cancel.raise_if_cancelled()
            (out / path.name).write_bytes(path.read_bytes())
            done += size
            event = core("progress").ProgressEvent(core("progress").Stage.TRANSFER, "", path.name, index + 1, count)
            listener(dataclasses.replace(event, bytes_done=done, bytes_total=total))
            time.sleep(pause)
        return summary_mod.JobSummary("directory", target=str(out), files_total=count, bytes_total=total)

    return work, out


def drive(job: Any, events: list[tuple[float, Event]], deadline: float = 30.0) -> dict[str, Any]:
    """Start ``job`` as the running one, then feed events (after the given delays) and timer
    ticks to the operator's modal() until it returns FINISHED or CANCELLED."""
    runner = module("operators.runner")
    modal = module("operators.pack").BAT_OT_pack_directory.modal
    op = RecordingOperator("directory")
    runner.begin(job)
    job.start()
    started = time.monotonic()
    trace: dict[str, Any] = {"returns": [], "status_draws": [], "panel_draws": []}
    pending = list(events)
    while True:
        assert time.monotonic() - started < deadline, "modal never ended"
        if pending and time.monotonic() - started >= pending[0][0]:
            _, event = pending.pop(0)
            trace["returns"].append((event.type, sorted(modal(op, bpy.context, event))))
            continue
        ret = modal(op, bpy.context, Event("TIMER"))
        if ret != {"PASS_THROUGH"}:
            trace["final"] = sorted(ret)
            break
        if job.view.events_seen:
            # Keep the first and the latest drawing while the job runs.
            status = draw(module("ui.statusbar").draw_status)
            panel = draw(module("ui.panel").BAT_PT_result.draw)
            for key, layout in (("status_draws", status), ("panel_draws", panel)):
                trace[key][1 if trace[key] else 0 :] = [{"calls": layout.calls, "problems": layout.problems}]
        time.sleep(0.02)
    result = bpy.context.window_manager.bat_result
    trace.update(
        reports=op.reports,
        current_after=runner.current() is not None,
        threads_after=bat_threads(),
        view={"files_done": job.view.files_done, "bytes_done": job.view.bytes_done, "factor": job.view.factor},
        result={
            "status": result.status, "message": result.message, "target": result.target,
            "files_total": result.files_total, "bytes_total": result.bytes_total,
        },
    )  # fmt: skip
    final_panel = draw(module("ui.panel").BAT_PT_result.draw)
    trace["final_panel"] = {"calls": final_panel.calls, "problems": final_panel.problems}
    return trace


def main() -> None:
    install(sys.argv[1])
    runner = module("operators.runner")
    facts: dict[str, Any] = {}

    modal = module("operators.pack").BAT_OT_pack_directory.modal
    op = RecordingOperator("directory")
    facts["no_job"] = sorted(modal(op, bpy.context, Event("TIMER")))

    work, out = copier(count=8, size=200_000, pause=0.05)
    facts["progress"] = drive(runner.Job("Pack to Directory", work), [(0.1, Event("MOUSEMOVE"))])
    facts["progress"]["copied"] = len(list(out.iterdir()))

    work, out = copier(count=40, size=10_000, pause=0.05)
    facts["esc"] = drive(runner.Job("Pack to Directory", work), [(0.3, Event("ESC", "PRESS"))])
    facts["esc"]["copied"] = len(list(out.iterdir()))

    def fails(listener: Any, cancel: Any) -> Any:
        listener(core("progress").ProgressEvent(core("progress").Stage.TRANSFER, "uploading"))
        raise core("errors").TransferError("shaman+http://127.0.0.1:8123/: server answered 507 Insufficient Storage")

    facts["error"] = drive(runner.Job("Pack & Send to Shaman", fails), [])

    # The real core in the worker thread: the operator's own request, packed to a folder.
    calls = module("operators.core_calls")
    blend = make_production(WORK / "project")
    request = calls.PackRequest("directory", blend, str(WORK / "real-pack"))
    facts["real"] = drive(runner.Job("Pack to Directory", calls.pack_work(request)), [(0.05, Event("MOUSEMOVE"))])
    facts["real"]["packed"] = sorted(
        p.relative_to(WORK / "real-pack").as_posix() for p in (WORK / "real-pack").rglob("*.*")
    )
    request = calls.PackRequest("directory", blend, str(WORK / "real-cancelled"))
    facts["real_esc"] = drive(runner.Job("Pack to Directory", calls.pack_work(request)), [(0.0, Event("ESC", "PRESS"))])
    emit(facts)


main()
