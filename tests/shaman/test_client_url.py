# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman client: target URLs, checkout-path sanitising and the filename header (C10, C11)."""

from __future__ import annotations

import pytest

from bat_core.errors import ShamanURLError
from bat_core.shaman.headers import decode_filename
from bat_core.shaman.naming import filename_header, sanitise_checkout_path
from bat_core.shaman.url import parse_shaman_url
from bat_core.shaman.validation import checkout_path_problem


def test_shaman_scheme_means_https_and_fragment_is_the_checkout_path() -> None:
    url = parse_shaman_url("shaman://manager.example:8443/flamenco#proj/shot 010")
    assert (url.scheme, url.host, url.port) == ("https", "manager.example", 8443)
    assert url.api_url == "https://manager.example:8443/flamenco/api/v3/shaman/"
    assert url.checkout_path == "proj/shot 010"


def test_shaman_plus_http_means_plain_http_with_default_port_and_no_fragment() -> None:
    url = parse_shaman_url("shaman+http://127.0.0.1/")
    assert url.base_url == "http://127.0.0.1/"
    assert url.port == 80
    assert url.checkout_path is None


def test_percent_escapes_in_the_fragment_are_decoded() -> None:
    assert parse_shaman_url("shaman://h/#r%C3%A1ni%C3%B0/job%201").checkout_path == "ránið/job 1"


def test_ipv6_hosts_keep_their_brackets_in_the_base_url() -> None:
    assert parse_shaman_url("shaman+http://[::1]:8080").base_url == "http://[::1]:8080/"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://host/#job", "must start with shaman://"),
        ("s3://bucket/x", "must start with shaman://"),
        ("shaman:///#job", "no host"),
        ("shaman://host:99999/", "malformed"),
        ("shaman://host:abc/", "malformed"),
        ("shaman://host/?x=1#job", "query"),
    ],
)
def test_unusable_urls_are_refused_saying_why(url: str, words: str) -> None:
    with pytest.raises(ShamanURLError, match=words):
        parse_shaman_url(url)


def test_credentials_in_the_url_are_refused_without_repeating_them() -> None:
    with pytest.raises(ShamanURLError) as caught:
        parse_shaman_url("shaman://alice:s3cr3t-pass@host/#job")
    assert "s3cr3t-pass" not in str(caught.value)
    assert "token" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("shot 010: final?", "shot 010_ final_"),
        ("/abs/path", "abs/path"),
        ("a/../../etc", "a/etc"),
        ("./x/./y/", "x/y"),
        ("c:\\proj\\job", "c__proj_job"),
        ("a*b;c{d}e", "a_b_c_d_e"),
        ("", "bat-pack"),
        ("..", "bat-pack"),
        ("ránið/lélegt vélmenni", "ránið/lélegt vélmenni"),
        ("tab\there", "tab_here"),
    ],
)
def test_checkout_names_are_sanitised_into_paths_every_server_accepts(name: str, expected: str) -> None:
    cleaned = sanitise_checkout_path(name)
    assert cleaned == expected
    # The server's own rules (strict mode is the stricter one) accept the result.
    assert checkout_path_problem(cleaned, strict=True) is None


@pytest.mark.parametrize(
    "pack_path",
    ["feed.py", "á hausinn á þér/много ликова.py", "Ж" * 200, "textures/日本語 ファイル.png", "=?odd?=.png"],
)
def test_filename_header_is_one_ascii_line_that_the_server_decodes_back(pack_path: str) -> None:
    value = filename_header(pack_path)
    assert value.isascii()
    assert "\r" not in value and "\n" not in value
    assert decode_filename(value) == pack_path


def test_very_long_filenames_are_shortened_to_their_end() -> None:
    pack_path = "dir/" * 400 + "the-file.png"
    value = filename_header(pack_path)
    assert len(value) < 1500
    assert decode_filename(value).endswith("the-file.png")
