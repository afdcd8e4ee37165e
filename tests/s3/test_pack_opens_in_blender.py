# SPDX-License-Identifier: GPL-3.0-or-later
"""Acceptance: every test production packed to S3, downloaded into a fresh folder, opens in
real Blender with zero missing files; a second pack of the same shot uploads nothing.

Plain layout: the prefix is downloaded object by object. Dedupe layout: ``s3-checkout``
materialises the manifest. All packs are made first, then one Blender process opens them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from blendgen.kinds.names import KIND_NAMES
from blendgen.production import Production
from pack.blender_check import blender_view
from s3.endpoint import S3Server
from transfer.helpers import write

from bat_core.api import PackOptions, pack
from bat_core.s3.checkout import checkout_pack

pytestmark = pytest.mark.bpy

DEDUPE_KINDS = ("libraries", "image_udim", "image_sequence")


@dataclass(frozen=True)
class Downloaded:
    kind: str
    layout: str
    root: Path
    main: Path
    second_uploaded_bytes: int
    second_uploaded_files: int


def download_prefix(server: S3Server, bucket: str, prefix: str, dest: Path) -> None:
    client = server.client()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for obj in page.get("Contents", ()):
            data = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            write(dest / obj["Key"][len(prefix) + 1 :], data)


def options(server: S3Server, production: Production, target: str, dedupe: bool) -> PackOptions:
    return PackOptions(
        blend=production.main,
        target=target,
        project=production.root,
        s3_endpoint=server.endpoint_url,
        s3_access_key=server.access_key,
        s3_secret_key=server.secret_key,
        s3_dedupe=dedupe,
    )


@pytest.fixture(scope="module")
def downloaded(
    s3_server: S3Server, productions: dict[str, Production], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    bucket = "acceptance"
    s3_server.client().create_bucket(Bucket=bucket)
    packs: dict[tuple[str, str], Downloaded] = {}
    layouts = [(kind, "plain") for kind in KIND_NAMES] + [(kind, "dedupe") for kind in DEDUPE_KINDS]
    for kind, layout in layouts:
        production = productions[kind]
        target = f"s3://{bucket}/{layout}/{kind}"
        opts = options(s3_server, production, target, layout == "dedupe")
        first = pack(opts)
        second = pack(opts)
        root = tmp_path_factory.mktemp(f"{kind}-{layout}")
        if layout == "plain":
            download_prefix(s3_server, bucket, f"{layout}/{kind}", root)
        else:
            checkout_pack(
                first.report["manifest_url"],
                root,
                endpoint=s3_server.endpoint_url,
                access_key=s3_server.access_key,
                secret_key=s3_server.secret_key,
            )
        packs[(kind, layout)] = Downloaded(
            kind,
            layout,
            root,
            root / first.main_blend_in_pack,
            second.uploaded_bytes,
            second.uploaded_files,
        )
    views = blender_view([str(p.main) for p in packs.values()])
    return {"packs": packs, "views": views}


def _inside(path: str, root: Path) -> bool:
    return Path(path) == root or root in Path(path).parents


LAYOUTS = [(kind, "plain") for kind in KIND_NAMES] + [(kind, "dedupe") for kind in DEDUPE_KINDS]


@pytest.mark.parametrize(("kind", "layout"), LAYOUTS)
def test_a_pack_downloaded_from_s3_opens_with_zero_missing_files(
    downloaded: dict[str, Any], productions: dict[str, Production], kind: str, layout: str
) -> None:
    packed: Downloaded = downloaded["packs"][(kind, layout)]
    view = downloaded["views"][str(packed.main)]
    missing_names = {p.name for p in productions[kind].missing}
    for path in view["paths"]:
        if Path(path).name in missing_names and not Path(path).exists():
            continue  # missing before packing: still missing, never invented
        assert _inside(path, packed.root), f"{path} is outside the downloaded pack"
        assert Path(path).exists() or "<UDIM>" in path or "<UVTILE>" in path, f"{path} does not exist"
    assert [p for p in view["missing_libraries"] if Path(p).name not in missing_names] == []
    for name, image in view["images"].items():
        if Path(image["path"]).name in missing_names or image["source"] == "SEQUENCE":
            continue
        assert image["has_data"], f"image {name} ({image['path']}) has no data"


@pytest.mark.parametrize(("kind", "layout"), LAYOUTS)
def test_packing_the_same_shot_again_uploads_nothing(downloaded: dict[str, Any], kind: str, layout: str) -> None:
    packed: Downloaded = downloaded["packs"][(kind, layout)]
    assert (packed.second_uploaded_files, packed.second_uploaded_bytes) == (0, 0)
