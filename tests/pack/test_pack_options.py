# SPDX-License-Identifier: GPL-3.0-or-later
"""Pack options and guarantees: dry run, strict, exclude, relative-only, compress, re-pack, cancel, report."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from blendgen.production import Production
from pack.test_pack_opens_in_blender import tree_hashes

from bat_core.api import PackOptions, pack
from bat_core.blendfile import open_blend
from bat_core.blendfile.source import Compression
from bat_core.errors import CancelledError, MissingDependencyError
from bat_core.progress import CancelToken, ProgressEvent, Stage
from bat_core.transfer.directory import INCOMPLETE_MARKER

REPO = Path(__file__).resolve().parents[2]


def _options(production: Production, target: Path, **extra: object) -> PackOptions:
    return PackOptions(blend=production.main, target=str(target), project=production.root, **extra)  # type: ignore[arg-type]


def test_dry_run_plans_everything_and_writes_nothing(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["library_chain"]
    target = tmp_path / "pack"
    result = pack(_options(production, target, noop=True))
    assert not target.exists()
    assert result.uploaded_files == 0 and result.uploaded_bytes == 0
    planned = {f["source"] for f in result.report["files"]}
    assert planned == {str(p) for p in production.expected_files} | {str(production.main)}
    assert result.bytes_total == sum(Path(s).stat().st_size for s in planned)
    assert result.report["dry_run"] is True


def test_strict_fails_before_writing_anything(productions: dict[str, Production], tmp_path: Path) -> None:
    target = tmp_path / "pack"
    with pytest.raises(MissingDependencyError, match="missing"):
        pack(_options(productions["missing"], target, strict=True))
    assert not target.exists()


def test_missing_files_are_reported_not_invented(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["missing"]
    result = pack(_options(production, tmp_path / "pack"))
    assert sorted(result.missing) == sorted(str(p) for p in production.missing)
    assert not any(Path(f["pack_path"]).name == "gone.png" for f in result.report["files"])


def test_report_has_the_totals_and_every_source(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["image_udim"]
    out = tmp_path / "report.json"
    result = pack(_options(production, tmp_path / "pack", report=out))
    report = json.loads(out.read_text())
    for key in ("total_files", "total_bytes", "uploaded_files", "uploaded_bytes"):
        assert isinstance(report[key], int)
    assert report["total_files"] == len(production.expected_files) + 1
    assert report["uploaded_files"] == report["total_files"] == result.files_total
    assert report["uploaded_bytes"] == report["total_bytes"]
    assert all({"source", "pack_path", "bytes"} <= set(f) for f in report["files"])


def test_repacking_into_the_same_folder_writes_only_what_changed(
    productions: dict[str, Production], tmp_path: Path
) -> None:
    production = productions["library_chain"]
    target = tmp_path / "pack"
    first = pack(_options(production, target))
    assert first.uploaded_files == first.files_total
    second = pack(_options(production, target))
    assert second.uploaded_files == 0 and second.uploaded_bytes == 0
    assert not (target / INCOMPLETE_MARKER).exists()


def test_exclude_leaves_files_out_and_keeps_them_reachable(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["image_single"]
    target = tmp_path / "pack"
    result = pack(_options(production, target, exclude=("*.png",)))
    packed = {Path(f["source"]).suffix for f in result.report["files"]}
    assert ".png" not in packed
    skipped = {s["source"] for s in result.report["skipped"]}
    assert {str(p) for p in production.expected_files if p.suffix == ".png"} <= skipped
    with open_blend(target / result.main_blend_in_pack) as bf:
        stored = {bf.view(b).get_bytes("name") for b in bf.blocks_with_code(b"IM")}
    # Excluded files stay reachable from the pack: their paths become absolute.
    assert all(s.startswith(b"/") for s in stored if s)


def test_relative_only_skips_absolutely_referenced_files(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["libraries"]  # one library by a relative path, one by an absolute one
    result = pack(_options(production, tmp_path / "pack", relative_only=True))
    sources = {f["source"] for f in result.report["files"]}
    assert any(s.endswith("props.blend") for s in sources)
    assert not any(s.endswith("chars.blend") for s in sources)
    assert any(s["source"].endswith("chars.blend") for s in result.report["skipped"])


def test_compress_writes_zstd_blends(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["library_chain"]
    target = tmp_path / "pack"
    result = pack(_options(production, target, compress=True, verify=True))
    for f in result.report["files"]:
        if f["pack_path"].endswith(".blend"):
            with open_blend(target / f["pack_path"]) as bf:
                assert bf.compression is Compression.ZSTD


def test_cancel_leaves_no_complete_looking_pack_and_sources_untouched(
    productions: dict[str, Production], tmp_path: Path
) -> None:
    production = productions["sequencer"]
    before = tree_hashes(production.root)
    target = tmp_path / "pack"
    cancel = CancelToken()

    def listener(event: ProgressEvent) -> None:
        if event.stage is Stage.TRANSFER:
            cancel.cancel()

    with pytest.raises(CancelledError):
        pack(_options(production, target), listener=listener, cancel=cancel)
    main_in_pack = target / production.main.relative_to(production.root)
    assert not main_in_pack.exists()
    assert tree_hashes(production.root) == before


def test_cancel_from_another_thread_during_trace(productions: dict[str, Production], tmp_path: Path) -> None:
    cancel = CancelToken()
    timer = threading.Timer(0.0, cancel.cancel)
    timer.start()
    timer.join()
    with pytest.raises(CancelledError):
        pack(_options(productions["library_chain"], tmp_path / "pack"), cancel=cancel)
    assert not (tmp_path / "pack").exists()


def test_project_must_contain_the_blend(productions: dict[str, Production], tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bat_core",
            "pack",
            str(productions["image_single"].main),
            str(tmp_path / "p"),
            "--project",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 1
    assert "not inside the project" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_pack_to_zip_with_report(productions: dict[str, Production], tmp_path: Path) -> None:
    production = productions["sound"]
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bat_core",
            "pack",
            "--quiet",
            "--report",
            str(out),
            "--project",
            str(production.root),
            str(production.main),
            str(tmp_path / "pack.zip"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "pack.zip").is_file() and not (tmp_path / "pack.zip.part").exists()
    assert json.loads(out.read_text())["uploaded_files"] >= 2
