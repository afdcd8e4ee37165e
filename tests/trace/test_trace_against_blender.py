# SPDX-License-Identifier: GPL-3.0-or-later
"""For every kind of external file, the tracer finds exactly what Blender reads: no more, no less.

Each production was written by real Blender (tests/blendgen); its expected files are Blender's own
``blend_paths`` answer with sequences, tiles and folders expanded, plus the files Blender reads
without listing them (point caches, geometry-nodes bakes).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from blendgen.kinds.names import KIND_NAMES
from blendgen.production import Production

from bat_core.trace import TraceOptions, trace


def _found(production: Production, all_library_data: bool = False) -> tuple[set[Path], set[Path], set[Path]]:
    result = trace(production.main, TraceOptions(all_library_data=all_library_data))
    files = set(result.files())
    missing = set(result.missing())
    packed = {r.resolved for r in result.references if r.packed}
    return files, missing, packed


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_tracer_finds_exactly_what_blender_reads(productions: dict[str, Production], kind: str) -> None:
    production = productions[kind]
    files, missing, packed = _found(production)
    assert sorted(files) == sorted(set(production.expected_files)), production.notes
    assert sorted(missing) == sorted(set(production.missing))
    assert not files & set(production.decoys)
    assert set(production.packed) <= packed


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_all_library_data_reports_unused_datablocks_too(productions: dict[str, Production], kind: str) -> None:
    production = productions[kind]
    files, _, _ = _found(production, all_library_data=True)
    assert sorted(files) == sorted(set(production.expected_all_library_data))


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_sizes_the_trace_records_are_the_files_sizes(productions: dict[str, Production], kind: str) -> None:
    """Planning and early copies take file sizes from the trace instead of asking the disk again."""
    result = trace(productions[kind].main)
    for ref in result.references:
        if ref.sizes:
            assert len(ref.sizes) == len(ref.files), ref
            assert list(ref.sizes) == [f.stat().st_size for f in ref.files], ref
    assert any(ref.sizes for ref in result.references) == any(
        ref.files and ref.expansion == "file" for ref in result.references
    )
