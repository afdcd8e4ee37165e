# SPDX-License-Identifier: GPL-3.0-or-later
"""The job runner: real work in a worker thread, events drained on the caller's thread,
cancel, errors and batch mode. The work functions copy real files, like a pack would."""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from bat_core.errors import BatError
from bat_core.progress import CancelToken, ProgressEvent, ProgressListener, Stage
from operators import runner
from operators.progress_view import ProgressView
from operators.reporting import verdict
from operators.runner import Job, Outcome
from operators.settings import Secrets
from operators.summary import JobSummary

CHUNK = 4096


def make_sources(folder: Path, count: int = 5, size: int = 50_000) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        path = folder / f"texture_{i}.bin"
        path.write_bytes(bytes([i % 251]) * size)
        files.append(path)
    return files


def copier(sources: list[Path], target: Path, pause: float = 0.0, gate: threading.Event | None = None):
    """A work function that copies files chunk by chunk, reporting progress and honouring cancel."""
    total = sum(p.stat().st_size for p in sources)

    def work(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        target.mkdir(parents=True, exist_ok=True)
        done = 0
        for index, source in enumerate(sources):
            with source.open("rb") as src, (target / source.name).open("wb") as dst:
                while chunk := src.read(CHUNK):
                    cancel.raise_if_cancelled()
                    dst.write(chunk)
                    done += len(chunk)
                    listener(ProgressEvent(Stage.TRANSFER, "", source.name, index, len(sources), done, total))
                    if gate is not None:
                        gate.wait(5)
                    if pause:
                        time.sleep(pause)
        listener(ProgressEvent(Stage.DONE, "copied", "", len(sources), len(sources), done, total))
        return JobSummary("directory", target=str(target), files_total=len(sources), bytes_total=done)

    return work


def wait_until(job: Job, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not job.finished:
        assert time.monotonic() < deadline, "job did not finish"
        job.pump()
        time.sleep(0.01)
    job.pump()


def test_a_job_copies_in_a_worker_thread_and_its_events_reach_the_view(tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "src")
    seen_threads: list[str] = []
    job = Job("copy", _record_thread(copier(sources, tmp_path / "out"), seen_threads))
    job.start()
    wait_until(job)
    assert seen_threads and seen_threads[0] != threading.current_thread().name
    outcome = job.outcome
    assert outcome is not None and outcome.ok
    for source in sources:
        assert (tmp_path / "out" / source.name).read_bytes() == source.read_bytes()
    total = sum(p.stat().st_size for p in sources)
    assert job.view.stage is Stage.DONE
    assert job.view.bytes_done == job.view.bytes_total == total
    assert job.view.factor == 1.0
    chunks_per_file = -(-sources[0].stat().st_size // CHUNK)
    assert job.view.events_seen == len(sources) * chunks_per_file + 1


def _record_thread(work: runner.Work, names: list[str]) -> runner.Work:
    def wrapped(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        names.append(threading.current_thread().name)
        return work(listener, cancel)

    return wrapped


def test_events_wait_in_the_queue_until_pumped(tmp_path: Path) -> None:
    gate = threading.Event()
    job = Job("copy", copier(make_sources(tmp_path / "src", 1, 3 * CHUNK), tmp_path / "out", gate=gate))
    job.start()
    time.sleep(0.1)
    assert job.view.events_seen == 0  # the worker never touches the view
    gate.set()
    wait_until(job)
    assert job.view.events_seen == 4


def test_cancel_stops_the_copy_and_the_outcome_says_cancelled(tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "src", count=20)
    job = Job("copy", copier(sources, tmp_path / "out", pause=0.002))
    job.start()
    while job.pump() == 0:
        time.sleep(0.005)
    job.cancel()
    wait_until(job)
    outcome = job.outcome
    assert outcome is not None and outcome.cancelled and not outcome.ok
    copied = list((tmp_path / "out").iterdir())
    assert len(copied) < len(sources)
    assert verdict(outcome).status == "CANCELLED" and not verdict(outcome).finished


def test_a_bat_error_in_the_worker_becomes_an_error_outcome_with_secrets_redacted(tmp_path: Path) -> None:
    def fails(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        listener(ProgressEvent(Stage.TRANSFER, "connecting"))
        raise BatError("shaman://farm: 403 for token hunter2-secret")

    job = Job("send", fails, Secrets(("hunter2-secret",)))
    job.start()
    wait_until(job)
    outcome = job.outcome
    assert outcome is not None and outcome.error == "shaman://farm: 403 for token ***"
    found = verdict(outcome)
    assert (found.level, found.status, found.finished) == ("ERROR", "FAILED", False)


def test_an_unexpected_exception_is_an_internal_error_not_a_dead_thread(tmp_path: Path) -> None:
    def crashes(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        return {}["no such key"]  # type: ignore[no-any-return]

    job = Job("crash", crashes)
    job.start()
    wait_until(job)
    assert job.outcome is not None
    assert job.outcome.error.startswith("Internal error in BAT (KeyError")


def test_batch_mode_runs_on_the_calling_thread_and_prints_progress_lines(tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "src", count=3)
    out = io.StringIO()
    job = Job("copy", copier(sources, tmp_path / "out"))
    outcome = job.run_sync(out)
    assert outcome.ok and job.finished
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("BAT: [transfer] 0/3 files")
    assert lines[-1].startswith("BAT: [done] 3/3 files") and lines[-1].endswith("- copied")
    # One line per stage change (or per second), not one per chunk.
    assert len(lines) < 10


def test_only_one_job_runs_at_a_time(tmp_path: Path) -> None:
    gate = threading.Event()
    first = Job("first", copier(make_sources(tmp_path / "a", 1, CHUNK), tmp_path / "o1", gate=gate))
    try:
        runner.begin(first)
        first.start()
        with pytest.raises(BatError, match="already running"):
            runner.begin(Job("second", copier([], tmp_path / "o2")))
        assert runner.current() is first
    finally:
        gate.set()
        runner.shutdown()
    assert runner.current() is None and first.join(5)


def test_shutdown_cancels_a_running_job(tmp_path: Path) -> None:
    sources = make_sources(tmp_path / "src", count=50)
    job = runner.begin(Job("copy", copier(sources, tmp_path / "out", pause=0.001)))
    job.start()
    runner.shutdown(timeout=5)
    assert job.finished and job.outcome is not None and job.outcome.cancelled


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_view_estimates_rate_and_eta_when_the_core_gives_none() -> None:
    clock = FakeClock()
    view = ProgressView(clock=clock)
    view.apply(ProgressEvent(Stage.TRANSFER, files_total=4, bytes_total=4_000_000))
    clock.now += 2.0
    view.apply(ProgressEvent(Stage.TRANSFER, files_done=1, files_total=4, bytes_done=1_000_000, bytes_total=4_000_000))
    assert view.rate == pytest.approx(500_000)
    assert view.eta_seconds == pytest.approx(6.0)
    assert view.factor == pytest.approx(0.25)
    assert view.summary() == "1/4 files · 1.0 MB/4.0 MB · 500.0 KB/s · ETA 0:06"


def test_the_view_prefers_the_cores_rate_and_keeps_worker_errors() -> None:
    view = ProgressView(clock=FakeClock())
    view.apply(ProgressEvent(Stage.HASH, bytes_done=10, bytes_total=20, rate_bytes_per_s=5.0, error="a.png: gone"))
    assert view.rate == 5.0 and view.eta_seconds == pytest.approx(2.0)
    assert view.errors == ["a.png: gone"]


def test_an_outcome_with_missing_files_is_a_warning() -> None:
    summary = JobSummary("zip", target="/tmp/p.zip", files_total=3, bytes_total=10, missing=("//tex/a.png",))
    found = verdict(Outcome(summary))
    assert (found.level, found.status, found.finished) == ("WARNING", "WARNING", True)
    assert "1 referenced file is missing" in found.message
    two = verdict(Outcome(JobSummary("zip", target="/tmp/p.zip", files_total=1, missing=("//a.png", "//b.png"))))
    assert two.message.startswith("BAT: Packed 1 file (") and "2 referenced files are missing" in two.message


def test_a_finished_job_nobody_collected_is_no_longer_shown_as_running(tmp_path: Path) -> None:
    job = runner.begin(Job("copy", copier(make_sources(tmp_path / "src", 1, CHUNK), tmp_path / "out")))
    try:
        job.start()
        assert job.join(5)
        assert runner.current() is job and runner.running() is None
        # ...and it does not block the next job.
        runner.begin(Job("next", copier([], tmp_path / "o2")))
    finally:
        runner.shutdown()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads have their own niceness on Linux only")
def test_a_job_beside_the_interface_runs_at_lower_priority_and_its_workers_too(tmp_path: Path) -> None:
    seen: dict[str, int] = {}

    def work(listener: ProgressListener, cancel: CancelToken) -> JobSummary:
        seen["job"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        helper = threading.Thread(
            target=lambda: seen.__setitem__("helper", os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        )
        helper.start()
        helper.join()
        return JobSummary("directory", target=str(tmp_path))

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    job = Job("nice", work)
    job.start()
    wait_until(job)
    assert job.outcome is not None and job.outcome.ok
    expected = min(runner.MAX_NICENESS, before + runner.JOB_NICENESS)
    assert seen == {"job": expected, "helper": expected}
    # The interface's own thread keeps its priority.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
