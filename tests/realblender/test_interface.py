# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed extension in the real Blender's interface (Xvfb, software OpenGL), used the way a
user does: File menu → Pack & Send to Shaman, driven by X input events (xdotool), watched through
screenshots of the X screen and draw hooks. blender_scripts/gui_pack.py drives the session;
the screenshots and its observations are kept in results/realblender/.

On the interface staying responsive: the test asserts the goal, < 100 ms between main-loop
iterations (bpy.app.timers ticks) during the upload, and writes the numbers to
results/realblender/interface-timing.json; benchmarks/interface_gaps.py runs it several times. With
software OpenGL a frame of the sidebar alone takes 40-60 ms here, so the goal leaves less than a
factor of two: BAT_REAL_BLENDER_MAX_GAP_MS sets another limit for a machine known to draw slower
(the numbers written say which limit was used)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from realblender.harness import Production, Shaman, blender, install, keep_results, needs_gui, start_shaman
from shaman.client_proxy import FaultProxy, Rule

pytestmark = [pytest.mark.realblender, pytest.mark.slow, needs_gui]
CHECKOUT = "gui-shot"
UPLOAD_RATE = 5e6  # bytes per second and upload request
MAX_GAP_MS = 100.0  # the longest pause of the interface allowed during the upload


@pytest.fixture(scope="module")
def session(extension_zip: Path, work: Path, production: Production, shaman: Shaman) -> dict[str, Any]:
    user = install(extension_zip, work, "gui-user")
    run = work / "gui"
    run.mkdir()
    script = str(work / "scripts" / "gui_pack.py")
    done = blender([str(production.shot), "--python", script, "--", str(run), shaman.url, CHECKOUT], work, user,
                   gui=True)  # fmt: skip
    report = run / "gui.json"
    (run / "blender.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    assert report.exists(), done.stdout + done.stderr
    keep_results(*sorted((run / "shots").glob("*.png")), report, run / "blender.log")
    facts: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    facts["_checkout"] = shaman.storage / "jobs" / CHECKOUT
    return facts


@pytest.fixture(scope="module")
def shaman(work: Path) -> Iterator[Shaman]:
    """The Shaman server behind a loopback proxy that sends each upload on at UPLOAD_RATE, like a
    modest office link: on loopback the pack would arrive before the first frame is drawn."""
    storage = work / "shaman-gui"
    proc, url = start_shaman(storage)
    upstream = urlsplit(url)
    proxy = FaultProxy((upstream.hostname or "127.0.0.1", upstream.port or 80))
    proxy.add(Rule("POST", "/files/", action="throttle", rate_bytes_per_s=UPLOAD_RATE))
    yield Shaman(proxy.url, storage)
    proxy.close()
    proc.terminate()
    proc.wait(timeout=10)


def steps(facts: dict[str, Any]) -> list[str]:
    return [text for _, text in facts["steps"]]


def test_the_file_menu_entry_starts_the_upload(session: dict[str, Any]) -> None:
    assert session["sidebar_category_before"] == "BAT"
    assert session["file_menu_draws_after_click"] >= 1, steps(session)  # the click opened the File menu
    assert "job running: Pack & Send to Shaman" in steps(session), steps(session)
    assert session["result"]["status"] == "OK", session["result"]
    checkout = session["_checkout"]
    assert sorted(p.name for p in checkout.rglob("*.blend")) == ["props.blend", "shot.blend"]
    assert session["result"]["uploaded_files"] == session["result"]["files_total"] > 10


def test_the_status_bar_draws_the_progress_while_the_job_runs(session: dict[str, Any]) -> None:
    draws = session["status_draws"]
    partial = [d for d in draws if 0.0 < d[1] < 1.0]
    assert len({d[1] for d in draws}) >= 2, draws  # the bar moved
    assert partial, draws  # and was seen part-way
    shots = session["pixels"]
    progress = [px for name, px in shots.items() if name.startswith("2_progress")]
    assert progress, sorted(shots)
    # The bar's blue fill is in the status bar's right part while the job runs (over 1,000 pixels
    # from a twentieth of the bar on), and absent before. After the job Blender shows its blue
    # report banner in the same place, so "gone after" is checked on what our draw hook drew.
    assert max(px["status_bar_blue_px"] for px in progress) > 1000, shots
    assert shots["0_before"]["status_bar_blue_px"] < 200, shots
    end = session["job_window_s"][1]
    assert not [d for d in draws if d[0] > end + 0.5 and 0.0 < d[1] < 1.0], draws


def test_the_result_appears_in_the_sidebar(session: dict[str, Any]) -> None:
    end = session["job_window_s"][1]
    after = [d for d in session["panel_draws"] if d[0] >= end]
    assert after, session["panel_draws"]
    status, message, checkout = after[-1][1:]
    assert status == "OK" and message.startswith("BAT: Packed") and checkout == CHECKOUT, after[-1]
    assert session["sidebar_changed_fraction"] > 0.01  # the panel on screen changed: the result lines


def test_the_interface_keeps_running_during_the_upload(session: dict[str, Any]) -> None:
    job = session["ticks_during_job"]
    baseline = session["ticks_baseline_redraw"]
    forced = os.environ.get("BAT_REAL_BLENDER_MAX_GAP_MS")
    seconds = session["job_window_s"][1] - session["job_window_s"][0]
    limit = float(forced) if forced else MAX_GAP_MS
    numbers = {
        "job_s": round(seconds, 2), "limit_ms": round(limit, 1), "during_job": job, "baseline_no_job": baseline,
        "baseline_no_job_sidebar_only_redraw": session["ticks_baseline_sidebar_redraw"],
        "slowdown_vs_baseline": round(job["median_gap_ms"] / max(baseline["median_gap_ms"], 0.1), 2),
    }  # fmt: skip
    (keep_results() / "interface-timing.json").write_text(json.dumps(numbers, indent=1), encoding="utf-8")
    print("interface timing:", numbers)
    assert seconds >= 2.0, numbers  # a real upload was measured, not a blink
    assert job["ticks"] >= 3, numbers
    assert job["max_gap_ms"] < limit, numbers
