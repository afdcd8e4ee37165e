# SPDX-License-Identifier: GPL-3.0-or-later
"""The library-chain shot sent to the embedded Shaman server: the checkout opens in Blender with
nothing missing, a second send uploads no file body, and a changed texture is the only upload."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from blendgen.production import Production
from pack.blender_check import blender_view

from bat_core.api import PackOptions, pack
from bat_core.shaman.server import ShamanServer


def _url(server: ShamanServer, checkout: str) -> str:
    return server.url.replace("http://", "shaman+http://").rstrip("/") + "/#" + checkout


@pytest.mark.parametrize("mode", ["strict", "f3-compat"])
def test_library_chain_checkout_opens_in_blender(
    productions: dict[str, Production],
    make_shaman_server,
    tmp_path: Path,
    mode: str,  # type: ignore[no-untyped-def]
) -> None:
    # A copy, so that one texture can be changed without touching the shared productions.
    source = tmp_path / "production"
    shutil.copytree(productions["library_chain"].root, source, symlinks=True)
    original = productions["library_chain"]
    main = source / original.main.relative_to(original.root)
    server: ShamanServer = make_shaman_server(mode)
    options = dict(blend=main, project=source, checksum_cache=tmp_path / "cache")

    first = pack(PackOptions(target=_url(server, "proj/shot"), **options))  # type: ignore[arg-type]
    # Identical files (the same texture in two places) are stored once: Shaman keys content.
    assert 0 < first.uploaded_files <= first.files_total
    checkout = server.jobs_root / str(first.checkout_path)
    opened = checkout / first.main_blend_in_pack
    view = blender_view([str(opened)])[str(opened)]
    assert view["missing_libraries"] == []
    assert view["paths"], "the shot has dependencies"
    for path in view["paths"]:
        assert Path(path).exists(), path
        # Paths that still point at the original production would mean a path was not rewritten.
        assert str(source) not in path and str(original.root) not in path, path
    assert all(image["has_data"] for image in view["images"].values() if image["source"] != "SEQUENCE")

    server.reset_stats()
    again = pack(PackOptions(target=_url(server, "proj/shot-again"), **options))  # type: ignore[arg-type]
    assert (again.uploaded_files, again.uploaded_bytes) == (0, 0)
    assert server.stats.upload_bytes_received == 0

    texture = next(
        Path(f["source"])
        for f in first.report["files"]
        if f["source"].startswith(str(source / "libs")) and f["source"].endswith(".png")
    )
    texture.write_bytes(texture.read_bytes() + b"changed")
    server.reset_stats()
    third = pack(PackOptions(target=_url(server, "proj/shot-changed"), **options))  # type: ignore[arg-type]
    assert third.uploaded_files == 1
    assert server.stats.upload_bytes_received == texture.stat().st_size
