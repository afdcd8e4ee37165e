# SPDX-License-Identifier: GPL-3.0-or-later
"""Target URLs and the credentials chain: explicit, environment, endpoint section, boto3 default."""

from __future__ import annotations

from pathlib import Path

import pytest
from s3.endpoint import S3Server
from transfer.helpers import SourceTree

from bat_core.errors import S3CredentialsError, S3Error
from bat_core.s3 import Credentials, DefaultChain, open_s3_target, parse_s3_url, resolve_credentials
from bat_core.transfer import run_transfer


def test_the_reference_tools_form_puts_the_endpoint_host_first_and_uses_https() -> None:
    loc = parse_s3_url("s3:/storage.example.com/renders/projects/shot_010/")
    assert (loc.endpoint_url, loc.bucket, loc.prefix) == ("https://storage.example.com", "renders", "projects/shot_010")
    assert loc.endpoint_host == "storage.example.com"
    assert loc.url() == "s3:/storage.example.com/renders/projects/shot_010"


def test_the_reference_form_keeps_a_port() -> None:
    loc = parse_s3_url("s3:/minio.lan:9000/bucket")
    assert (loc.endpoint_url, loc.bucket, loc.prefix) == ("https://minio.lan:9000", "bucket", "")


def test_s3_double_slash_takes_the_endpoint_from_the_option_with_any_scheme() -> None:
    loc = parse_s3_url("s3://bucket/a//b/", endpoint="http://127.0.0.1:9000/")
    assert (loc.endpoint_url, loc.bucket, loc.prefix) == ("http://127.0.0.1:9000", "bucket", "a/b")
    assert loc.key("shot.blend") == "a/b/shot.blend"
    assert parse_s3_url("s3://bucket").endpoint_url is None  # boto3's default: AWS


@pytest.mark.parametrize(
    ("url", "endpoint", "problem"),
    [
        ("http://bucket/x", None, "expected s3://bucket/path"),
        ("s3://", None, "the bucket name is missing"),
        ("s3://bu/cket/../x", None, "may not contain '.', '..'"),
        ("s3://bad bucket/x", None, "is not a valid bucket name"),
        ("s3:/", None, "the host is missing"),
        ("s3://b/x", "ftp://host", "only http:// and https://"),
        ("s3://b/x", "http://user:pw@host", "user name or password in the endpoint URL"),
        ("s3://b/x", "http://host/path", "with no path"),
        ("s3:/a.example.com/b", "https://other.example.com", "use s3://bucket/path with --s3-endpoint"),
    ],
)
def test_bad_target_urls_are_refused_with_the_reason(url: str, endpoint: str | None, problem: str) -> None:
    with pytest.raises(S3Error, match=problem.replace("(", r"\(").replace(".", r"\.")):
        parse_s3_url(url, endpoint=endpoint)


def test_a_bad_endpoint_never_echoes_a_password_in_it() -> None:
    with pytest.raises(S3Error, match="user name or password in the endpoint URL is not supported") as info:
        parse_s3_url("s3://b/x", endpoint="http://user:hunter2@host")
    assert "hunter2" not in str(info.value)


def write_credentials(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_explicit_values_win_over_the_environment_and_the_file(tmp_path: Path) -> None:
    f = write_credentials(tmp_path / "creds", "[minio.lan:9000]\naws_access_key_id=FILE\naws_secret_access_key=FS\n")
    env = {"AWS_ACCESS_KEY_ID": "ENV", "AWS_SECRET_ACCESS_KEY": "ES", "AWS_SHARED_CREDENTIALS_FILE": str(f)}
    found = resolve_credentials("minio.lan:9000", access_key="EXP", secret_key="XS", environ=env)
    assert isinstance(found, Credentials)
    assert (found.access_key, found.secret_key, found.source) == ("EXP", "XS", "the explicit settings")


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    f = write_credentials(tmp_path / "creds", "[minio.lan:9000]\naws_access_key_id=FILE\naws_secret_access_key=FS\n")
    env = {"AWS_ACCESS_KEY_ID": "ENV", "AWS_SECRET_ACCESS_KEY": "ES", "AWS_SESSION_TOKEN": "T"}
    found = resolve_credentials("minio.lan:9000", environ={**env, "AWS_SHARED_CREDENTIALS_FILE": str(f)})
    assert isinstance(found, Credentials)
    assert (found.access_key, found.secret_key, found.session_token) == ("ENV", "ES", "T")


def test_the_section_named_after_the_endpoint_host_is_used_with_or_without_the_port(tmp_path: Path) -> None:
    f = write_credentials(
        tmp_path / "creds",
        "[default]\naws_access_key_id=DEF\naws_secret_access_key=DS\n"
        "[minio.lan]\naws_access_key_id=HOST\naws_secret_access_key=HS\n"
        "[minio.lan:9000]\naws_access_key_id=PORT\naws_secret_access_key=PS\n",
    )
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(f)}
    with_port = resolve_credentials("minio.lan:9000", environ=env)
    other_port = resolve_credentials("minio.lan:9001", environ=env)
    assert isinstance(with_port, Credentials) and with_port.access_key == "PORT"
    assert isinstance(other_port, Credentials) and other_port.access_key == "HOST"
    assert other_port.source == f"section [minio.lan] of {f}"
    # No section for this host: boto3's own chain decides (which would use [default]).
    assert isinstance(resolve_credentials("elsewhere.lan", environ=env), DefaultChain)


def test_half_given_credentials_are_refused() -> None:
    with pytest.raises(S3CredentialsError, match="without its secret key"):
        resolve_credentials("h", access_key="AK", secret_key="", environ={})


def test_a_broken_credentials_file_is_named_but_never_quoted(tmp_path: Path) -> None:
    f = write_credentials(tmp_path / "creds", "[minio.lan]\naws_secret_access_key TOPSECRET no equals sign\n")
    with pytest.raises(S3CredentialsError) as info:
        resolve_credentials("minio.lan", environ={"AWS_SHARED_CREDENTIALS_FILE": str(f)})
    assert str(f) in str(info.value) and "TOPSECRET" not in str(info.value)


def test_a_credentials_repr_holds_no_secret() -> None:
    creds = Credentials("AKIA1234", "SECRET5678", "TOKEN9", "somewhere")
    assert "SECRET5678" not in repr(creds) and "TOKEN9" not in repr(creds) and "AKIA1234" not in repr(creds)


def test_credentials_from_the_endpoint_section_of_the_credentials_file_reach_the_server(
    s3_server: S3Server, bucket: str, source_tree: SourceTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = s3_server.endpoint_url.removeprefix("http://")
    f = write_credentials(
        tmp_path / "aws-credentials",
        f"[{host}]\naws_access_key_id = {s3_server.access_key}\naws_secret_access_key = {s3_server.secret_key}\n",
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(f))
    target = open_s3_target(f"s3://{bucket}/from-file", endpoint=s3_server.endpoint_url)
    assert target.result_info()["credentials_source"] == f"section [{host}] of {f}"
    result = run_transfer(source_tree.items, target)
    assert result.files_sent == len(source_tree.items)


def test_credentials_from_the_environment_reach_the_server(
    s3_server: S3Server, bucket: str, source_tree: SourceTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    target = open_s3_target(f"s3://{bucket}/from-env", endpoint=s3_server.endpoint_url)
    assert run_transfer(source_tree.items, target).files_sent == len(source_tree.items)


def test_boto3s_default_chain_is_the_last_resort(
    s3_server: S3Server, bucket: str, source_tree: SourceTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A [default] profile is boto3's business, not ours: found only through its chain.
    f = write_credentials(
        tmp_path / "aws-credentials",
        f"[default]\naws_access_key_id = {s3_server.access_key}\naws_secret_access_key = {s3_server.secret_key}\n",
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(f))
    target = open_s3_target(f"s3://{bucket}/from-default", endpoint=s3_server.endpoint_url)
    assert target.result_info()["credentials_source"] == "boto3's default credential chain"
    assert run_transfer(source_tree.items, target).files_sent == len(source_tree.items)
