# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman server: the requirements call (S1) and JSON schema errors (S20)."""

from __future__ import annotations

import os
import time

import pytest
import requests
from shaman.shaman_http import (
    EMPTY_SHA,
    blob_path,
    post_json,
    random_bytes,
    sha256_hex,
    spec,
    store,
)

from bat_core.shaman.server import ShamanServer


def test_s1_requirements_list_each_missing_file_once_in_order(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    a, b, c, stored = (random_bytes(100 + i) for i in range(4))
    store(server, stored)
    old = time.time() - 3600
    os.utime(blob_path(server, stored), (old, old))
    request = [
        spec(b, "textures/b.png"),
        spec(stored, "already/there.blend"),
        spec(a, "a.blend"),
        spec(b, "textures/b-copy.png"),  # same content: omitted, the first path wins
        spec(c, "ü/ñíçødé.txt"),
        {**spec(a, "a-other-size.blend"), "size": len(a) + 1},  # different identity
    ]

    response = post_json(server, "checkout/requirements", {"files": request})

    assert response.status_code == 200
    assert response.json() == {
        "files": [
            {**spec(b, "textures/b.png"), "status": "unknown"},
            {**spec(a, "a.blend"), "status": "unknown"},
            {**spec(c, "ü/ñíçødé.txt"), "status": "unknown"},
            {**spec(a, "a-other-size.blend"), "size": len(a) + 1, "status": "unknown"},
        ]
    }
    # Asking about a stored blob protects it from garbage collection for a while.
    assert blob_path(server, stored).stat().st_mtime > time.time() - 60


def test_s1_requirements_report_files_being_uploaded(any_shaman_server: ShamanServer) -> None:
    data = random_bytes(500)
    sha = sha256_hex(data)
    temp_dir = any_shaman_server.storage / "file-store" / "uploading" / sha[:2] / sha[2:]
    temp_dir.mkdir(parents=True)
    (temp_dir / f"{len(data)}-555555555.tmp").write_bytes(data[:7])

    response = post_json(any_shaman_server, "checkout/requirements", {"files": [spec(data, "x.bin")]})

    assert response.json() == {"files": [{**spec(data, "x.bin"), "status": "uploading"}]}


def test_s1_everything_stored_gives_an_empty_list(any_shaman_server: ShamanServer) -> None:
    data = random_bytes(50)
    store(any_shaman_server, data)
    response = post_json(any_shaman_server, "checkout/requirements", {"files": [spec(data, "x")]})
    assert response.json() == {"files": []}
    assert post_json(any_shaman_server, "checkout/requirements", {"files": []}).json() == {"files": []}


def test_requirements_accept_unicode_escaped_json(any_shaman_server: ShamanServer) -> None:
    data = random_bytes(50)
    escaped_path = "\\u00e1 hausinn.txt"  # what json.dumps sends for "á hausinn.txt"
    body = '{"files": [{"sha": "' + sha256_hex(data) + '", "size": 50, "path": "' + escaped_path + '"}]}'
    response = requests.post(
        any_shaman_server.url + "api/v3/shaman/checkout/requirements",
        data=body.encode("ascii"),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.json()["files"][0]["path"] == "á hausinn.txt"


@pytest.mark.parametrize(
    "payload",
    [
        {"files": [{"sha": EMPTY_SHA, "size": 0}]},
        {"files": None},
        {},
        {"files": [{"sha": EMPTY_SHA, "size": "0", "path": "x"}]},
        {"files": [{"sha": EMPTY_SHA, "size": True, "path": "x"}]},
        {"files": ["x"]},
        [],
    ],
    ids=["missing-path", "files-null", "no-files", "size-string", "size-bool", "not-object", "array"],
)
def test_s20_schema_violations_are_400(any_shaman_server: ShamanServer, payload: object) -> None:
    for route in ("checkout/requirements", "checkout/create"):
        body = payload
        if route.endswith("create") and isinstance(body, dict):
            body = {**body, "checkoutPath": "job"}
        response = post_json(any_shaman_server, route, body)
        assert response.status_code == 400, route
        assert "message" in response.json()
    assert list((any_shaman_server.storage / "jobs").iterdir()) == []


@pytest.mark.parametrize("body", [b"", b"not json", b'{"files": [', b"\xff\xfe"])
def test_s20_non_json_is_400(any_shaman_server: ShamanServer, body: bytes) -> None:
    for route in ("checkout/requirements", "checkout/create"):
        response = requests.post(
            any_shaman_server.url + "api/v3/shaman/" + route,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 400
        assert isinstance(response.json()["message"], str)


def test_s20_f3_schema_errors_use_echos_error_shape(f3_server: ShamanServer) -> None:
    response = post_json(f3_server, "checkout/requirements", {"files": None})
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize(
    "entry",
    [
        {"sha": "ZZ", "size": 1, "path": "x"},
        {"sha": EMPTY_SHA.upper(), "size": 0, "path": "x"},
        {"sha": EMPTY_SHA, "size": -1, "path": "x"},
        {"sha": EMPTY_SHA, "size": 0, "path": "/etc/passwd"},
        {"sha": EMPTY_SHA, "size": 0, "path": "../x"},
        {"sha": EMPTY_SHA, "size": 0, "path": "a\\b"},
    ],
    ids=["short-sha", "uppercase-sha", "negative-size", "absolute", "dotdot", "backslash"],
)
def test_strict_requirements_validate_checksums_sizes_and_paths(
    shaman_server: ShamanServer, entry: dict[str, object]
) -> None:
    response = post_json(shaman_server, "checkout/requirements", {"files": [entry]})
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert "files[0]" in response.json()["message"]


def test_f3_requirements_do_not_validate_entries(f3_server: ShamanServer) -> None:
    entry = {"sha": EMPTY_SHA.upper(), "size": 0, "path": "../x"}
    response = post_json(f3_server, "checkout/requirements", {"files": [entry]})
    assert response.json() == {"files": [{**entry, "status": "unknown"}]}
