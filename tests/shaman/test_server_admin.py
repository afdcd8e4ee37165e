# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman server: disabled Shaman (S19), configuration, our stats endpoint, the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from shaman.server_fixture import MakeServer
from shaman.shaman_http import EMPTY_SHA, file_route, post_json, random_bytes, spec, upload

from bat_core.errors import ShamanServerError
from bat_core.shaman.server import ShamanServer

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode", ["strict", "f3-compat"])
def test_s19_disabled_shaman_answers_503_on_every_operation(make_shaman_server: MakeServer, mode: str) -> None:
    server = make_shaman_server(mode, enabled=False)
    data = random_bytes(10)
    responses = [
        post_json(server, "checkout/requirements", {"files": [spec(data, "x")]}),
        post_json(server, "checkout/create", {"files": [spec(data, "x")], "checkoutPath": "j"}),
        requests.get(server.url + file_route(EMPTY_SHA, 0), timeout=10),
        upload(server, data),
    ]
    for response in responses:
        assert response.status_code == 503
        assert response.json() == {"code": 503, "message": "shaman server not active"}
        assert "Retry-After" not in response.headers
    assert list((server.storage / "jobs").iterdir()) == []
    configuration = requests.get(server.url + "api/v3/configuration", timeout=10).json()
    assert configuration["shamanEnabled"] is False


def test_configuration_tells_clients_shaman_is_on(shaman_server: ShamanServer) -> None:
    response = requests.get(shaman_server.url + "api/v3/configuration", timeout=10)
    assert response.json() == {
        "storageLocation": str(shaman_server.storage),
        "shamanEnabled": True,
        "isFirstRun": False,
    }


def test_stats_count_upload_bytes_received(any_shaman_server: ShamanServer) -> None:
    server = any_shaman_server
    one, two = random_bytes(12_345), random_bytes(54_321)
    upload(server, one)
    upload(server, two)
    assert upload(server, one).status_code == 208
    post_json(server, "checkout/requirements", {"files": [spec(one, "x")]})

    stats = server.stats
    # Strict mode answers the third one before reading, then reads the small rest anyway so
    # the connection can be reused; f3-compat reads every body before deciding.
    assert stats.upload_bytes_received == 2 * len(one) + len(two)
    assert (stats.upload_requests, stats.files_stored) == (3, 2)
    assert requests.get(server.url + "bat-shaman/stats", timeout=10).json() == server.stats.as_json()

    assert requests.post(server.url + "bat-shaman/stats/reset", timeout=10).status_code == 204
    assert server.stats.upload_bytes_received == 0


def test_strict_early_answers_do_not_read_large_bodies(shaman_server: ShamanServer) -> None:
    data = random_bytes(8 * 1024 * 1024)
    upload(shaman_server, data)
    shaman_server.reset_stats()
    try:
        response = upload(shaman_server, data)
        assert response.status_code == 208
    except requests.ConnectionError:
        pass  # the server hung up before the client could read the 208: allowed
    assert shaman_server.stats.upload_bytes_received < 2 * 1024 * 1024


def test_unknown_routes_and_methods(shaman_server: ShamanServer) -> None:
    assert requests.get(shaman_server.url + "api/v3/shaman/nothing", timeout=10).status_code == 404
    assert requests.get(shaman_server.url + "api/v3/shaman/checkout/create", timeout=10).status_code == 405
    assert requests.delete(shaman_server.url + file_route(EMPTY_SHA, 0), timeout=10).status_code == 405


def test_a_file_as_storage_is_a_clear_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(ShamanServerError, match=str(not_a_dir)):
        ShamanServer(not_a_dir)


def test_a_taken_port_is_a_clear_error(shaman_server: ShamanServer, tmp_path: Path) -> None:
    with pytest.raises(ShamanServerError, match=f"127.0.0.1:{shaman_server.port}"):
        ShamanServer(tmp_path / "other", port=shaman_server.port)


def test_command_line_server_prints_its_url_first_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bat_core.shaman.server",
            "--storage",
            str(tmp_path / "s"),
            "--port",
            "0",
            "--mode",
            "f3-compat",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Shaman server listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        assert url.endswith("/")
        data = random_bytes(100)
        response = requests.post(url + file_route(spec(data, "x")["sha"], 100), data=data, timeout=10)
        assert response.status_code == 200  # f3-compat: 200, not 204
        assert (tmp_path / "s" / "file-store" / "stored").is_dir()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_command_line_reports_unusable_storage_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "file"
    bad.write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "bat_core.shaman.server", "--storage", str(bad)],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: Shaman storage ")
    assert "Traceback" not in result.stderr
