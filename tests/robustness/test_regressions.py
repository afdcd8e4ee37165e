# SPDX-License-Identifier: GPL-3.0-or-later
"""Inputs that once crashed or stalled the reader or tracer, kept as small literal patches.

Each test names what was wrong and the change that fixed it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from robustness.harness import run_case
from samples.fixtures import SampleSet

from bat_core.blendfile import FieldEdit, open_blend, write_rewritten_copy
from bat_core.errors import BlendFileError, CorruptBlendFileError
from bat_core.trace import trace
from bat_core.trace.expand import existing, is_dir, is_file, udim_files


def test_a_fifo_named_as_a_blend_file_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    # Was: open() blocked forever on a FIFO (a library path can name one). Fixed in
    # blendfile/source.py: open non-blocking and refuse anything but a regular file.
    fifo = tmp_path / "pipe.blend"
    os.mkfifo(fifo)
    assert run_case("regressions", "fifo", lambda: open_blend(fifo)) == "BlendFileError"
    with pytest.raises(BlendFileError, match="not a regular file") as info:
        open_blend(fifo)
    assert str(fifo) in str(info.value)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_named_as_a_blend_file_is_refused(device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"{device} does not exist here")
    with pytest.raises(BlendFileError, match="not a regular file"):
        open_blend(device)


def test_a_folder_named_as_a_blend_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BlendFileError, match=str(tmp_path)):
        open_blend(tmp_path)


def test_names_the_os_refuses_count_as_absent_files(tmp_path: Path) -> None:
    # Was: Path.is_file() raised OSError(ENAMETOOLONG) for a stored name over 255 bytes, which
    # escaped trace() as a bare traceback. Fixed in trace/expand.py (is_file/is_dir helpers).
    too_long = tmp_path / ("n" * 300 + ".png")
    assert existing(too_long) == ()
    assert not is_file(too_long)
    assert not is_dir(too_long)
    assert udim_files(tmp_path / ("n" * 300 + ".<UDIM>.png"), [1001, 1002]) == (
        (),
        (tmp_path / ("n" * 300 + ".1001.png"), tmp_path / ("n" * 300 + ".1002.png")),
    )


@pytest.mark.bpy
def test_an_image_path_with_a_name_over_255_bytes_is_traced_as_missing(
    bpy50_samples: SampleSet, tmp_path: Path
) -> None:
    source = bpy50_samples.folder / "main.blend"
    stored = b"//textures/" + b"n" * 300 + b".png"
    patched = tmp_path / "main.blend"
    with open_blend(source) as bf:
        image = next(
            b for b in bf.blocks_with_code(b"IM") if bf.view(b).get_bytes("name") == b"//textures/main_tex.png"
        )
        at, f = bf.view(image).location("name")
        write_rewritten_copy(bf, patched, [FieldEdit(at, f.size, stored.ljust(f.size, b"\0"))])
    shutil.copy(bpy50_samples.folder / "lib.blend", tmp_path / "lib.blend")
    shutil.copytree(bpy50_samples.folder / "textures", tmp_path / "textures")

    assert run_case("regressions", "image name over 255 bytes", lambda: trace(patched)) == "ok"
    result = trace(patched)
    ref = next(r for r in result.references if r.stored == stored)
    assert ref.missing and ref.files == ()


@pytest.mark.bpy
@pytest.mark.parametrize("stored", [b"C:\\", b"c:/"])
def test_a_bare_windows_drive_as_image_path_plans_a_pack(
    bpy50_samples: SampleSet, tmp_path: Path, stored: bytes
) -> None:
    # Found by test_fuzz_paths.py.
    from bat_core.pack.plan import PlanOptions, make_plan

    source = bpy50_samples.folder / "main.blend"
    patched = tmp_path / "main.blend"
    with open_blend(source) as bf:
        image = next(b for b in bf.blocks_with_code(b"IM") if bf.view(b).id_name() == b"IMrelative_tex")
        at, f = bf.view(image).location("name")
        write_rewritten_copy(bf, patched, [FieldEdit(at, f.size, stored.ljust(f.size, b"\0"))])
    shutil.copy(bpy50_samples.folder / "lib.blend", tmp_path / "lib.blend")
    shutil.copytree(bpy50_samples.folder / "textures", tmp_path / "textures")
    plan = make_plan(trace(patched), PlanOptions())
    assert any(r.stored == stored and r.missing for r in plan.trace.references)


@pytest.mark.bpy
def test_a_library_path_with_a_name_over_255_bytes_is_reported_not_raised(
    bpy50_samples: SampleSet, tmp_path: Path
) -> None:
    # Found by test_fuzz_paths.py and test_hostile_paths.py.
    source = bpy50_samples.folder / "main.blend"
    patched = tmp_path / "main.blend"
    stored = b"//" + b"n" * 300 + b".blend"
    with open_blend(source) as bf:
        at, f = bf.view(next(bf.blocks_with_code(b"LI"))).location("name")
        write_rewritten_copy(bf, patched, [FieldEdit(at, f.size, stored.ljust(f.size, b"\0"))])
    result = trace(patched)
    assert any(r.kind == "library" and r.missing for r in result.references)


@pytest.mark.bpy
@pytest.mark.parametrize(
    ("patch", "what"),
    [
        ({4: 0xE0}, "the minimised fuzz input: one flipped bit pattern in the frame header"),
        ({4: 0xE0, **dict(enumerate((1 << 30).to_bytes(8, "little"), start=5))}, "a frame claiming 1 GiB"),
    ],
)
def test_a_zstd_frame_header_claiming_a_huge_size_is_refused_before_allocating(
    bpy50_samples: SampleSet, tmp_path: Path, patch: dict[int, int], what: str
) -> None:
    # Was: python-zstandard allocates a frame's declared content size before decoding, so
    # byte 4 of a Blender zstd file flipped to 0xE0 (an 8-byte size field over the next bytes)
    # raised MemoryError, and a declared 1 GiB was really allocated. Found by
    # test_damaged_compressed_streams_end_cleanly. Fixed in blendfile/source.py: the declared
    # size must match the seek table before decompressing.
    data = bytearray((bpy50_samples.folder / "main_zstd.blend").read_bytes())
    for at, value in patch.items():
        data[at] = value
    path = tmp_path / "huge-frame.blend"
    path.write_bytes(bytes(data))
    assert run_case("regressions", what, lambda: open_blend(path)) == "CorruptBlendFileError"
    with pytest.raises(CorruptBlendFileError, match="declares") as info:
        open_blend(path)
    assert info.value.offset == 0 and str(path) in str(info.value)
