# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m bat_core list``: the reference tool's JSON shape, the detailed report, --strict, the tree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from blendgen.production import Production

from bat_core.progress import ProgressEvent, Stage
from bat_core.trace import trace

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bat_core", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_json_maps_each_blend_to_its_sorted_dependencies(productions: dict[str, Production]) -> None:
    production = productions["library_chain"]
    proc = _cli("list", "--json", production.main)
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    assert str(production.main) in listing
    for deps in listing.values():
        assert deps == sorted(deps)
    every = {p for deps in listing.values() for p in deps}
    assert every == {str(p) for p in production.expected_files}
    libraries = {p for p in every if p.endswith(".blend")}
    assert libraries <= set(listing), "each library reached is a key of its own"


def test_report_names_owner_field_and_expansion(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["image_sequence"]
    out = tmp_path / "report.json"
    proc = _cli("list", "--report", out, production.main)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    (dep,) = [d for d in report["dependencies"] if d["kind"] == "image" and d["is_sequence"]]
    assert dep["owner"]["type"] == "IM"
    assert dep["struct"] == "Image" and dep["field"] in ("name", "filepath")
    assert dep["stored"].startswith("//")
    assert dep["exists"] is True
    assert sorted(f["path"] for f in dep["files"]) == sorted(str(p) for p in production.expansion[dep["resolved"]])
    assert report["missing"] == []
    assert report["totals"]["files"] == len(production.expected_files)


def test_missing_files_and_datablocks_are_reported(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["missing"]
    out = tmp_path / "report.json"
    proc = _cli("list", "--report", out, production.main)
    assert proc.returncode == 0
    report = json.loads(out.read_text())
    assert sorted(report["missing"]) == sorted(str(p) for p in production.missing)
    (lib,) = [d for d in report["dependencies"] if d["kind"] == "library"]
    assert not lib["exists"]
    assert report["missing_datablocks"], "the datablocks that needed the missing library are named"
    assert all(m["library"] == lib["resolved"] for m in report["missing_datablocks"])


def test_strict_fails_only_when_something_is_missing(productions: dict[str, Production]) -> None:
    assert _cli("list", "--strict", productions["missing"].main).returncode == 2
    assert _cli("list", "--strict", productions["image_single"].main).returncode == 0


def test_tree_marks_missing_files(productions: dict[str, Production]) -> None:
    proc = _cli("list", productions["missing"].main)
    assert proc.returncode == 0
    assert "MISSING" in proc.stdout
    assert str(productions["missing"].main) in proc.stdout.splitlines()[0]


def test_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.blend"
    bad.write_bytes(b"not a blend")
    proc = _cli("list", bad)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and str(bad) in proc.stderr


def test_progress_events_come_from_the_core(productions: dict[str, Production]) -> None:
    events: list[ProgressEvent] = []
    result = trace(productions["library_chain"].main, listener=events.append)
    assert all(e.stage is Stage.TRACE for e in events)
    opened = [e.current_file for e in events if e.current_file]
    assert opened == [str(b) for b in result.blends]
    assert events[-1].files_done == len(result.blends) == 3
