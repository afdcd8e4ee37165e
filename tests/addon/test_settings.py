# SPDX-License-Identifier: GPL-3.0-or-later
"""How the add-on picks each setting, and how it spells targets for the core (no Blender needed)."""

from __future__ import annotations

import pytest

from bat_core.errors import BatError
from operators.settings import Secrets, resolve, s3_target, shaman_target, split_patterns, zip_target


def test_an_explicit_operator_property_beats_everything() -> None:
    env = {"BAT_SHAMAN_URL": "http://env:1/"}
    value = resolve("shaman_url", explicit="http://op:1/", scene="", preference="http://pref:1/", env=env)
    assert value == "http://op:1/"


def test_bat_environment_variables_beat_preferences_for_batch_runs() -> None:
    env = {"BAT_SHAMAN_URL": "http://farm:8080/"}
    assert resolve("shaman_url", preference="http://desk:8080/", env=env) == "http://farm:8080/"


def test_generic_aws_variables_only_fill_in_what_the_preferences_leave_empty() -> None:
    env = {"AWS_ACCESS_KEY_ID": "from-aws", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert resolve("s3_access_key", preference="from-prefs", env=env) == "from-prefs"
    assert resolve("s3_access_key", preference="", env=env) == "from-aws"
    assert resolve("s3_region", env=env) == "eu-west-1"
    assert resolve("s3_region", env={**env, "AWS_REGION": "us-east-2"}) == "us-east-2"


def test_scene_settings_beat_environment_and_preferences() -> None:
    env = {"BAT_PROJECT_ROOT": "/env/project"}
    assert resolve("project_root", scene="//..", preference="/pref", env=env) == "//.."
    assert resolve("project_root", preference="/pref", env=env) == "/env/project"


def test_blank_values_count_as_unset() -> None:
    assert resolve("shaman_url", explicit="  ", preference="http://p/", env={}) == "http://p/"
    assert resolve("shaman_url", env={}) == ""


@pytest.mark.parametrize(
    ("url", "checkout", "expected"),
    [
        ("http://127.0.0.1:8080/", "shots/010", "shaman+http://127.0.0.1:8080/#shots/010"),
        ("http://flamenco:8080", "", "shaman+http://flamenco:8080/"),
        ("https://farm.example/api/", "/a/b/", "shaman://farm.example/api/#a/b"),
        ("shaman://farm.example/#old", "new", "shaman://farm.example/#new"),
        ("shaman+http://h:1/", "x", "shaman+http://h:1/#x"),
    ],
)
def test_shaman_urls_become_core_targets(url: str, checkout: str, expected: str) -> None:
    assert shaman_target(url, checkout) == expected


@pytest.mark.parametrize(
    ("url", "checkout", "complaint"),
    [
        ("", "x", "No Shaman server"),
        ("ftp://host/", "x", "expected http://"),
        ("http://", "x", "no host"),
        ("http://h:1/", "../escape", "'..' is not allowed"),
    ],
)
def test_bad_shaman_settings_are_clear_errors(url: str, checkout: str, complaint: str) -> None:
    with pytest.raises(BatError, match=complaint):
        shaman_target(url, checkout)


def test_s3_targets_join_bucket_and_path() -> None:
    assert s3_target("renders", "shots/010/") == "s3://renders/shots/010"
    assert s3_target("renders/project", "shot") == "s3://renders/project/shot"
    assert s3_target("renders", "") == "s3://renders/"
    with pytest.raises(BatError, match="No S3 bucket"):
        s3_target(" ", "x")


def test_zip_targets_always_end_in_zip() -> None:
    assert zip_target("/tmp/pack") == "/tmp/pack.zip"
    assert zip_target("/tmp/pack.ZIP") == "/tmp/pack.ZIP"
    with pytest.raises(BatError, match="No ZIP file"):
        zip_target("")


def test_exclude_patterns_split_on_semicolons_commas_and_lines() -> None:
    assert split_patterns("*.psd; cache/*,\n *.blend1 ;;") == ("*.psd", "cache/*", "*.blend1")


def test_secrets_are_redacted_from_messages() -> None:
    secrets = Secrets(("s3cr3t-key", "tok"))
    assert secrets.redact("auth failed for s3cr3t-key at host") == "auth failed for *** at host"
    # Very short values are not redacted: they would mangle ordinary words.
    assert secrets.redact("token tok") == "token tok"


@pytest.mark.parametrize(
    ("url", "checkout", "scheme", "host", "port", "expected_checkout"),
    [
        ("http://127.0.0.1:8080/", "shots/010", "http", "127.0.0.1", 8080, "shots/010"),
        ("https://farm.example/api/", "a/b", "https", "farm.example", 443, "a/b"),
        ("http://flamenco:8080", "", "http", "flamenco", 8080, None),
    ],
)
def test_the_shaman_client_understands_the_targets_the_add_on_makes(
    url: str, checkout: str, scheme: str, host: str, port: int, expected_checkout: str | None
) -> None:
    from bat_core.shaman.url import parse_shaman_url

    parsed = parse_shaman_url(shaman_target(url, checkout))
    assert (parsed.scheme, parsed.host, parsed.port, parsed.checkout_path) == (scheme, host, port, expected_checkout)
