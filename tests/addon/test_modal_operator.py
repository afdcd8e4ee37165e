# SPDX-License-Identifier: GPL-3.0-or-later
"""The interactive path: the real modal() of a pack operator, fed synthetic window-manager
events while a real job copies real files in a worker thread (see probes/modal.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bpy


@pytest.fixture(scope="module")
def facts(extension_zip: Path, probe: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("modal")
    return probe("modal", work / "user", str(extension_zip))  # type: ignore[no-any-return]


def calls_of(drawn: dict[str, Any], fn: str) -> list[dict[str, Any]]:
    assert drawn["problems"] == []
    return [c for c in drawn["calls"] if c["fn"] == fn]


def test_timer_ticks_apply_progress_and_the_job_finishes_with_a_report(facts: dict[str, Any]) -> None:
    run = facts["progress"]
    assert run["final"] == ["FINISHED"]
    assert run["copied"] == 8
    assert run["view"] == {"files_done": 8, "bytes_done": 1_600_000, "factor": 1.0}
    assert run["reports"] == [["INFO", f"BAT: Packed 8 files (1.6 MB) to {run['result']['target']}"]]
    assert run["result"]["status"] == "OK"
    assert (run["result"]["files_total"], run["result"]["bytes_total"]) == (8, "1600000")


def test_other_events_pass_through_so_the_interface_stays_usable(facts: dict[str, Any]) -> None:
    assert facts["progress"]["returns"] == [["MOUSEMOVE", ["PASS_THROUGH"]]]


def test_the_status_bar_shows_stage_progress_rate_eta_and_a_cancel_button(facts: dict[str, Any]) -> None:
    first, latest = facts["progress"]["status_draws"]
    (label,) = calls_of(first, "label")
    assert label["kwargs"]["text"] == "BAT Transfer"
    (bar,) = calls_of(first, "progress")
    assert bar["kwargs"]["type"] == "BAR" and 0 < bar["kwargs"]["factor"] < 1
    assert "/8 files" in bar["kwargs"]["text"] and "/1.6 MB" in bar["kwargs"]["text"]
    (later,) = calls_of(latest, "progress")
    assert later["kwargs"]["factor"] > bar["kwargs"]["factor"]
    assert "KB/s" in later["kwargs"]["text"] or "MB/s" in later["kwargs"]["text"]
    assert "ETA" in later["kwargs"]["text"]
    assert [c["operator"] for c in calls_of(first, "operator")] == ["bat.cancel_job"]


def test_the_n_panel_follows_the_running_job_then_shows_the_result(facts: dict[str, Any]) -> None:
    running = facts["progress"]["panel_draws"][0]
    assert calls_of(running, "label")[0]["kwargs"]["text"] == "Pack to Directory: Transfer"
    final = facts["progress"]["final_panel"]
    texts = [c["kwargs"]["text"] for c in calls_of(final, "label")]
    assert texts[0].startswith("BAT: Packed 8 files") and "8 files, 1.6 MB" in texts
    assert [c["operator"] for c in calls_of(final, "operator")] == ["bat.export_report"]


def test_esc_cancels_the_job_and_the_operator_ends_cancelled(facts: dict[str, Any]) -> None:
    run = facts["esc"]
    assert run["returns"] == [["ESC", ["RUNNING_MODAL"]]]
    assert run["final"] == ["CANCELLED"]
    assert 0 < run["copied"] < 40
    assert run["reports"] == [["WARNING", "BAT: cancelled by the user"]]
    assert run["result"]["status"] == "CANCELLED"


def test_a_worker_error_becomes_an_error_report(facts: dict[str, Any]) -> None:
    run = facts["error"]
    assert run["final"] == ["CANCELLED"]
    message = "BAT: shaman+http://127.0.0.1:8123/: server answered 507 Insufficient Storage"
    assert run["reports"] == [["ERROR", message]]
    assert run["result"] == {"status": "FAILED", "message": message, "target": "", "files_total": 0, "bytes_total": ""}


def test_the_real_core_packs_in_the_worker_thread_while_timer_ticks_show_its_stages(facts: dict[str, Any]) -> None:
    run = facts["real"]
    assert run["final"] == ["FINISHED"]
    assert run["packed"] == ["_outside_project/library/sky.png", "shot.blend", "textures/brick.png"]
    assert run["result"]["status"] == "WARNING" and run["result"]["files_total"] == 3
    ((level, message),) = run["reports"]
    assert (
        level == "WARNING" and message.startswith("BAT: Packed 3 files") and "1 referenced file is missing" in message
    )
    assert run["view"]["files_done"] == 3 and run["view"]["factor"] == 1.0


def test_esc_during_a_real_pack_ends_it_cancelled(facts: dict[str, Any]) -> None:
    run = facts["real_esc"]
    assert run["returns"] == [["ESC", ["RUNNING_MODAL"]]]
    assert run["final"] == ["CANCELLED"]
    assert run["reports"] == [["WARNING", "BAT: cancelled by the user"]]
    assert run["result"]["status"] == "CANCELLED"


def test_nothing_keeps_running_after_a_job_ends(facts: dict[str, Any]) -> None:
    for name in ("progress", "esc", "error", "real", "real_esc"):
        assert facts[name]["current_after"] is False
        assert facts[name]["threads_after"] == []
    assert facts["no_job"] == ["CANCELLED"]
