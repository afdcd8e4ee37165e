# SPDX-License-Identifier: GPL-3.0-or-later
"""Cases for test_prescan.py, each run in a fresh interpreter by that test.

The helper forks only from a process with no other thread, which a test process that has
run servers and thread pools before is not; a fresh interpreter is what the command line
is. Each case prints one JSON object on stdout.

    python tests/blendfile/prescan_cases.py CASE FILE [OTHER]
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bat_core.blendfile import file as blend_file
from bat_core.blendfile import open_blend, prescan, source
from bat_core.errors import BlendFileError

COLUMNS = ("offsets", "codes", "olds", "sdna_indices", "sizes")
SCANNED: list[str] = []


def digest(path: Path) -> str:
    """What a reader sees of a file: every block header column and the datablock names."""
    h = hashlib.sha256()
    with open_blend(path) as bf:
        for column in COLUMNS:
            h.update(memoryview(getattr(bf.blocks, column)).cast("B"))
        for name in sorted(bf.view(b).id_name() for b in bf.id_blocks()):
            h.update(name + b"\0")
    return h.hexdigest()


def _count_scans() -> None:
    real = blend_file.scan_blocks

    def counting(path: Path, *rest: Any) -> Any:
        SCANNED.append(str(path))
        return real(path, *rest)

    blend_file.scan_blocks = counting  # type: ignore[assignment]


def same_table(path: Path) -> dict[str, Any]:
    started = prescan.start(path, min_bytes=0)
    return {"started": started, "digest": digest(path), "scanned": SCANNED}


def replaced(path: Path, other: Path) -> dict[str, Any]:
    started = prescan.start(path, min_bytes=0)
    time.sleep(0.5)  # the helper has long read the first file
    staging = path.with_name("incoming.blend")
    staging.write_bytes(other.read_bytes())
    os.replace(staging, path)
    return {"started": started, "digest": digest(path), "scanned": SCANNED}


def damaged(path: Path) -> dict[str, Any]:
    started = prescan.start(path, min_bytes=0)
    try:
        open_blend(path).close()
    except BlendFileError as exc:
        return {"started": started, "error": type(exc).__name__, "message": str(exc), "scanned": SCANNED}
    return {"started": started, "error": None, "scanned": SCANNED}


def reaped(path: Path) -> dict[str, Any]:
    started = prescan.start(path, min_bytes=0)
    pending = prescan._slot.pending
    assert pending is not None
    prescan.discard()
    try:
        os.waitpid(pending.pid, os.WNOHANG)
        gone = False
    except ChildProcessError:
        gone = True
    return {"started": started, "helper_gone": gone, "digest": digest(path), "scanned": SCANNED}


def discard_busy(path: Path) -> dict[str, Any]:
    real = prescan.scan_blocks

    def slow(*args: Any) -> Any:  # what a helper scanning a very large file looks like
        time.sleep(60)
        return real(*args)

    prescan.scan_blocks = slow  # type: ignore[assignment]
    started = prescan.start(path, min_bytes=0)
    time.sleep(0.2)
    begun = time.monotonic()
    prescan.discard()
    return {"started": started, "discard_seconds": time.monotonic() - begun}


def list_command(path: Path) -> dict[str, Any]:
    from bat_core.cli.main import main

    prescan.MIN_BYTES = 0
    code = main(["list", "--json", "--jobs", "1", str(path)])
    return {"code": code, "scanned": SCANNED, "left_pending": prescan._slot.pending is not None}


def refusals(path: Path, compressed: Path) -> dict[str, Any]:
    small = prescan.start(path)  # far below MIN_BYTES
    zstd = prescan.start(compressed, min_bytes=0)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        threaded = prescan.start(path, min_bytes=0)
    finally:
        release.set()
        other.join()
    fifo = path.with_name("pipe.blend")
    os.mkfifo(fifo)
    try:
        special = prescan.start(fifo, min_bytes=0)  # must not wait for a writer
    finally:
        fifo.unlink()
    return {"small": small, "zstd": zstd, "threaded": threaded, "fifo": special}


CASES = {
    "same_table": same_table,
    "replaced": replaced,
    "damaged": damaged,
    "reaped": reaped,
    "discard_busy": discard_busy,
    "list_command": list_command,
    "refusals": refusals,
}

if __name__ == "__main__":
    # Read every uncompressed file with pread, as large files are.
    source.UNCOMPRESSED_IN_MEMORY_LIMIT = 0
    _count_scans()
    case, *paths = sys.argv[1:]
    result = CASES[case](*(Path(p) for p in paths))
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)
