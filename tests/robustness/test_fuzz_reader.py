# SPDX-License-Identifier: GPL-3.0-or-later
"""Damaged .blend files end in a result or a BlendFileError: never another exception, a hang or a huge allocation.

Mutations start from files bpy 5.0.1 wrote in this run and aim at what the reader trusts
(see robustness/mutations.py). The CI run is bounded (BAT_FUZZ_EXAMPLES raises it for long
local runs, e.g. ``BAT_FUZZ_EXAMPLES=5000``).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness.harness import TALLY, fuzz_examples, fuzz_is_long, read_everything, run_case
from robustness.mutations import (
    Layout,
    Mutation,
    container_mutation,
    gzip_bytes,
    layout_of,
    seekable_zstd,
    stacked,
)
from samples.fixtures import SampleSet

pytestmark = pytest.mark.bpy  # the samples are written by bpy
CHILD = Path(__file__).resolve().parent / "memory_child.py"
FUZZ = settings(
    max_examples=fuzz_examples(120),
    deadline=None,
    derandomize=not fuzz_is_long(),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def _layout(path: Path) -> Layout:
    return layout_of(path)


@pytest.fixture(scope="module")
def main_layout(bpy50_samples: SampleSet) -> Layout:
    return _layout(bpy50_samples.folder / "main.blend")


@pytest.fixture(scope="module")
def lib_layout(bpy50_samples: SampleSet) -> Layout:
    return _layout(bpy50_samples.folder / "lib.blend")


def _read_mutated(tmp_path: Path, group: str, data: bytes, mutation: Mutation, name: str = "fuzzed.blend") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return run_case(group, mutation.label, lambda: read_everything(path, tmp_path))


@given(data=st.data())
@FUZZ
def test_damaged_uncompressed_files_end_in_a_result_or_blend_file_error(
    tmp_path: Path, main_layout: Layout, lib_layout: Layout, data: st.DataObject
) -> None:
    layout = data.draw(st.sampled_from([main_layout, lib_layout]))
    mutation = data.draw(stacked(layout))
    _read_mutated(tmp_path, "reader/plain", mutation.apply(layout.data), mutation)


@given(data=st.data())
@FUZZ
def test_damaged_content_inside_seekable_zstd_ends_cleanly(
    tmp_path: Path, main_layout: Layout, data: st.DataObject
) -> None:
    # Frames of 64 KiB so that structs and tables straddle frame boundaries.
    mutation = data.draw(stacked(main_layout))
    payload = seekable_zstd(mutation.apply(main_layout.data))
    _read_mutated(tmp_path, "reader/zstd content", payload, mutation)


@given(data=st.data())
@FUZZ
def test_damaged_content_inside_gzip_ends_cleanly(tmp_path: Path, main_layout: Layout, data: st.DataObject) -> None:
    mutation = data.draw(stacked(main_layout))
    payload = gzip_bytes(mutation.apply(main_layout.data))
    _read_mutated(tmp_path, "reader/gzip content", payload, mutation)


class Containers(dict[str, bytes]):
    def __repr__(self) -> str:  # hypothesis prints fixtures of failing cases; the bytes are noise
        return f"<compressed samples: {', '.join(sorted(self))}>"


@pytest.fixture(scope="module")
def containers(bpy50_samples: SampleSet, main_layout: Layout) -> Containers:
    return Containers(
        {
            "blender zstd": (bpy50_samples.folder / "main_zstd.blend").read_bytes(),
            "seekable zstd, 64 KiB frames": seekable_zstd(main_layout.data),
            "gzip": (bpy50_samples.folder / "main_gzip.blend").read_bytes(),
        }
    )


@given(data=st.data())
@FUZZ
def test_damaged_compressed_streams_end_cleanly(tmp_path: Path, containers: Containers, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(containers)))
    mutation = data.draw(container_mutation(containers[name]))
    _read_mutated(tmp_path, f"reader/{name} stream", mutation.apply(containers[name]), mutation)


def test_damaged_files_are_read_within_a_hard_memory_limit(bpy50_samples: SampleSet, tmp_path: Path) -> None:
    # A child process with RLIMIT_AS at its start-up size + 384 MiB: a wild allocation would
    # fail there (and be reported) instead of swapping the machine.
    examples = max(40, fuzz_examples(120) // 2)
    proc = subprocess.run(
        [sys.executable, str(CHILD), str(bpy50_samples.folder), str(tmp_path), str(examples), str(384 << 20)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sum(summary["counts"].values()) >= examples
    TALLY.outcomes["reader/memory-limited child: total"] += sum(summary["counts"].values())
