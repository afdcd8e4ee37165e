# SPDX-License-Identifier: GPL-3.0-or-later
"""Acceptance: every pack operator of the installed extension, run in background mode against
the real core, produces a pack that real Blender opens with zero missing files, every path
inside the pack. Targets are real: a folder, a ZIP, the embedded Shaman server and an S3
endpoint (moto in its own process), both on loopback and started here; failures raise."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from blendgen.production import Production
from pack.blender_check import blender_view
from s3.endpoint import S3Server, start_moto, stop_moto

from bat_core.shaman.server import ShamanServer

pytestmark = pytest.mark.bpy

TOKEN = "shaman-token-4711-secret"
BUCKET = "bat-addon-packs"


def free_port_url() -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto with signature checks: one user with full S3 rights, made by the first 3 calls."""
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("moto")
    proc, url = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    try:
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="setup", aws_secret_access_key="setup")  # fmt: skip
        iam.create_user(UserName="packer")
        key = iam.create_access_key(UserName="packer")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="packer", PolicyName="s3", PolicyDocument=json.dumps(policy))
        server = S3Server(url, key["AccessKeyId"], key["SecretAccessKey"], "", "")
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        stop_moto(proc)


@pytest.fixture(scope="module")
def shaman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShamanServer]:
    server = ShamanServer(tmp_path_factory.mktemp("shaman-storage"), "127.0.0.1", 0).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def facts(
    extension_zip: Path,
    probe: Any,
    sample_production: Path,
    productions: dict[str, Production],
    shaman: ShamanServer,
    s3: S3Server,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("packs")
    env = {
        "BAT_SHAMAN_URL": shaman.url,
        "BAT_SHAMAN_TOKEN": TOKEN,
        "BAT_DOWN_URL": free_port_url(),
        "BAT_S3_ENDPOINT": s3.endpoint_url,
        "BAT_S3_REGION": "us-east-1",
        "BAT_S3_BUCKET": BUCKET,
        "BAT_S3_ACCESS_KEY": s3.access_key,
        "BAT_S3_SECRET_KEY": s3.secret_key,
        # Nothing of this machine's AWS set-up may help (or hinder) the credentials under test.
        "AWS_SHARED_CREDENTIALS_FILE": str(work / "no-aws-credentials"),
        "AWS_CONFIG_FILE": str(work / "no-aws-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    project = sample_production.parent.parent
    broken = productions["missing"]
    shutil.copytree(broken.root, work / "missing")
    args = (str(extension_zip), str(sample_production), str(project), str(work / "missing" / broken.main.name))
    found: dict[str, Any] = probe("packs", work / "user", *args, env=env)
    found["work"] = str(work)
    return found


@pytest.fixture(scope="module")
def opened(facts: dict[str, Any], shaman: ShamanServer, s3: S3Server) -> dict[str, Any]:
    """Each pack laid out in a folder of its own, then opened by one fresh Blender process."""
    work = Path(facts["work"])
    roots = {
        "directory": work / "out" / "dir",
        "shaman": shaman.storage / "jobs" / facts["shaman"]["result"]["checkout_path"],
        "shaman_again": shaman.storage / "jobs" / facts["shaman_again"]["result"]["checkout_path"],
    }
    roots["zip"] = work / "unzipped"
    with zipfile.ZipFile(facts["zip"]["result"]["target"]) as zf:
        zf.extractall(roots["zip"])
    roots["s3"] = work / "downloaded"
    client = s3.client()
    for obj in client.list_objects_v2(Bucket=BUCKET, Prefix="packs/shot_010/")["Contents"]:
        place = roots["s3"] / obj["Key"].removeprefix("packs/shot_010/")
        place.parent.mkdir(parents=True, exist_ok=True)
        place.write_bytes(client.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read())
    mains = {name: root / facts[name]["result"]["main_blend_in_pack"] for name, root in roots.items()}
    view = blender_view([str(m) for m in mains.values()])
    return {name: {"root": roots[name], "main": mains[name], **view[str(mains[name])]} for name in roots}


def exists(path: str) -> bool:
    if "<UDIM>" in path:  # a UDIM set: the tiles are the files
        return bool(glob.glob(path.replace("<UDIM>", "[0-9]" * 4)))
    return os.path.exists(path)


@pytest.mark.parametrize("target", ["directory", "zip", "shaman", "shaman_again", "s3"])
def test_every_pack_opens_in_blender_with_zero_missing_files_all_inside_the_pack(
    opened: dict[str, Any], facts: dict[str, Any], target: str
) -> None:
    assert facts[target]["returned"] == ["FINISHED"], facts[target]
    assert facts[target]["result"]["status"] == "OK" and facts[target]["result"]["missing"] == []
    seen = opened[target]
    root = os.path.normpath(seen["root"])
    assert Path(seen["main"]).is_file()
    # The sample links two libraries, an image sequence, a UDIM set and an outside texture.
    assert len(seen["libraries"]) == 2 and len(seen["paths"]) >= 6
    assert seen["missing_libraries"] == []
    assert [p for p in seen["paths"] if not exists(p)] == []
    assert [p for p in seen["paths"] if not p.startswith(root + os.sep)] == []
    # Sequences load a frame only when displayed; their frames were checked to exist above.
    loaded = {name: image["has_data"] for name, image in seen["images"].items() if image["source"] != "SEQUENCE"}
    assert len(loaded) >= 3 and all(loaded.values()), seen["images"]


def test_shaman_pack_reports_the_checkout_and_a_second_send_uploads_nothing(facts: dict[str, Any]) -> None:
    first, again = facts["shaman"]["result"], facts["shaman_again"]["result"]
    assert first["checkout_path"] == "shots/shot_010"
    assert first["main_blend_in_pack"] == "shots/shot_010.blend"
    assert first["uploaded_files"] == first["files_total"] >= 10
    assert again["files_total"] == first["files_total"]
    assert (again["uploaded_files"], again["uploaded_bytes"]) == (0, 0)
    assert first["target"].startswith("shaman+http://127.0.0.1:")


def test_the_operator_hands_url_token_and_the_extensions_cache_folder_to_the_core(facts: dict[str, Any]) -> None:
    (call,) = facts["shaman_calls"]
    assert call["target"].endswith("/#shots/shot_010") and call["target"].startswith("shaman+http://127.0.0.1:")
    assert call["shaman_token"] == TOKEN
    assert call["cache_dir"].endswith("extensions/.user/user_default/blender_asset_tracer/checksum-cache")
    assert facts["cache_files"], "the Shaman checksum cache was not written under the extension's user folder"


def test_s3_upload_uses_the_credentials_from_the_environment_and_skips_unchanged_objects(
    facts: dict[str, Any],
) -> None:
    (call,) = facts["s3_calls"]
    assert call["target"] == f"s3://{BUCKET}/packs/shot_010"
    assert call["s3_endpoint"].startswith("http://127.0.0.1:")
    first, again = facts["s3"]["result"], facts["s3_again"]["result"]
    assert first["uploaded_files"] == first["files_total"] >= 10
    assert facts["s3_again"]["returned"] == ["FINISHED"] and again["uploaded_files"] == 0


def test_a_shaman_server_that_is_down_makes_the_operator_raise(facts: dict[str, Any]) -> None:
    down = facts["shaman_down"]
    assert "raised" in down and "cannot reach the server" in down["raised"]
    assert down["result"]["status"] == "FAILED"
    assert down["seconds"] < 30


def test_a_missing_bucket_makes_the_operator_raise_naming_the_bucket(facts: dict[str, Any]) -> None:
    raised = facts["s3_no_bucket"]["raised"]
    assert "no-such-bucket-bat" in raised
    assert "Traceback" not in raised


def test_no_secret_reaches_the_console_or_a_message(facts: dict[str, Any], s3: S3Server) -> None:
    # Only the recorder, which sits inside the process between the operator and the core, saw them.
    text = facts["_stdout"] + json.dumps({k: v for k, v in facts.items() if not k.endswith("_calls")})
    assert TOKEN not in text and s3.secret_key not in text


def test_check_dependencies_finds_the_missing_image_and_library_with_their_users(facts: dict[str, Any]) -> None:
    work = Path(facts["work"]) / "missing"
    check = facts["check"]
    assert check["returned"] == ["FINISHED"] and check["result"]["status"] == "WARNING"
    assert check["result"]["missing"] == [str(work / "libs" / "gone.blend"), str(work / "textures" / "gone.png")]
    # present.png is stored by absolute path, so the copy still points into the original folder.
    assert "2 missing, 1 outside the project, 1 absolute" in check["result"]["message"]
    exported = facts["check_report"]
    elsewhere = [(d["category"], Path(d["path"]).name) for d in exported["dependencies"] if d["category"] != "missing"]
    assert elsewhere == [("outside_project", "present.png"), ("absolute", "present.png")]
    owners = {d["path"]: d["owner"] for d in exported["dependencies"] if d["category"] == "missing"}
    assert owners[str(work / "textures" / "gone.png")].startswith("IM:gone")
    assert owners[str(work / "libs" / "gone.blend")].startswith("LI:")


def test_strict_mode_refuses_to_pack_missing_files_anywhere(facts: dict[str, Any]) -> None:
    assert "2 missing file(s)" in facts["check_strict"]["raised"]
    for name in ("strict_shaman", "strict_zip"):
        raised = facts[name]["raised"]
        assert "2 dependencies are missing" in raised and "gone.png" in raised
        assert facts[name]["result"]["status"] == "FAILED"
    assert facts["strict_zip_written"] is False
    # Without strict the same file packs, with a warning naming what is missing.
    lenient = facts["lenient_dir"]
    assert lenient["returned"] == ["FINISHED"] and lenient["result"]["status"] == "WARNING"
    assert len(lenient["result"]["missing"]) == 2
    assert facts["strict_calls"] == 3
