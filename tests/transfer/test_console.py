# SPDX-License-Identifier: GPL-3.0-or-later
"""The CLI progress listener: one live line on a terminal, a short readable log elsewhere."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from transfer.helpers import SourceTree, item_for, write

from bat_core.progress import ProgressEvent, Stage
from bat_core.transfer import run_transfer
from bat_core.transfer.console import ConsoleProgress, format_bytes, format_duration, format_status
from bat_core.transfer.directory import DirectoryTarget


def test_a_log_gets_the_messages_and_few_progress_lines(tmp_path: Path) -> None:
    source = write(tmp_path / "one.txt", b"x" * 100)
    items = [item_for(source, f"many/{n}.txt") for n in range(2000)]
    out = io.StringIO()
    console = ConsoleProgress(out, is_terminal=False)

    result = run_transfer(items, DirectoryTarget(tmp_path / "out"), listener=console)
    console.close()

    lines = out.getvalue().splitlines()
    assert lines[0] == f"transfer: sending 2000 of 2000 files to directory {tmp_path / 'out'}"
    assert lines[-1].startswith("transfer: sent 2000 files")
    assert "\r" not in out.getvalue()
    assert len(lines) <= 3 + result.seconds / 2 + 1


def test_a_terminal_gets_one_updating_line_that_ends_at_100_percent(source_tree: SourceTree, tmp_path: Path) -> None:
    out = io.StringIO()
    console = ConsoleProgress(out, is_terminal=True, redraw_interval_s=0.0)

    run_transfer(source_tree.items, DirectoryTarget(tmp_path / "out"), listener=console)
    console.close()

    text = out.getvalue()
    lines = text.split("\n")
    assert lines[0].startswith("transfer: sending 8 of 8 files")
    bar_line = lines[1]
    assert bar_line.startswith("\r")
    final_state = bar_line.split("\r")[-1]
    assert "100%" in final_state
    assert "8/8 files" in final_state
    assert lines[2].startswith("transfer: sent 8 files")
    assert text.endswith("\n")


def test_errors_are_always_printed() -> None:
    out = io.StringIO()
    console = ConsoleProgress(out, is_terminal=True)

    console(ProgressEvent(Stage.TRANSFER, files_done=1, files_total=4, bytes_done=10, bytes_total=40))
    console(ProgressEvent(Stage.TRANSFER, error="could not send a.png"))

    assert out.getvalue().endswith("\nerror: could not send a.png\n")


def test_many_threads_at_once_never_interleave_inside_a_line() -> None:
    out = io.StringIO()
    console = ConsoleProgress(out, is_terminal=False, line_interval_s=0.0)

    def hammer(n: int) -> None:
        for i in range(300):
            console(ProgressEvent(Stage.TRANSFER, current_file=f"t{n}/{i}.png", files_done=i, files_total=300))

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lines = out.getvalue().splitlines()
    assert len(lines) == 8 * 300
    assert all(line.startswith("transfer") and line.endswith(".png") for line in lines)


def test_the_status_line_shows_rate_and_eta() -> None:
    event = ProgressEvent(
        Stage.TRANSFER,
        current_file="textures/wood.png",
        files_done=3,
        files_total=10,
        bytes_done=512 * 1024**2,
        bytes_total=2 * 1024**3,
        rate_bytes_per_s=256 * 1024**2,
    )

    line = format_status(event, with_bar=True)

    assert line == (
        "transfer  [######------------------]   25%  3/10 files  512.0 MiB/2.0 GiB  256.0 MiB/s  ETA 0:06"
        "  textures/wood.png"
    )


def test_sizes_and_durations_read_naturally() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(3 * 1024**4) == "3.0 TiB"
    assert format_duration(59.6) == "1:00"
    assert format_duration(3725) == "1:02:05"
