# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP calls of the Flamenco 3 Shaman API, one method per operation.

Policy kept here so the upload logic does not have to think about HTTP:

* Timeouts: connecting ``connect_timeout``; JSON calls ``json_timeout``; uploads get a long
  read timeout (``upload_timeout``) because a server may verify and store a big file before
  it answers.
* Retries with exponential backoff: the requirements and status calls are idempotent and
  are retried on connection errors and 5xx; a POST that may have reached the server (an
  upload, a checkout) is retried only when the connection could not even be opened, or on
  503 (Shaman answers it before doing anything).
* Error answers come in two shapes (``{"code", "message"}`` and ``{"message"}``) or as
  text; all become ``ServerAnswerError`` carrying the status and the server's message.
* The bearer token is sent when given and never appears in any message: every text that
  leaves this module passes through ``_scrub``.
* Upload bodies stream from disk in 1 MiB chunks with a Content-Length (no chunked
  encoding), reporting bytes to the caller, who may cancel between chunks.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from ..errors import ShamanError, ShamanUnavailableError, TransferError
from ..progress import CancelToken
from .naming import filename_header
from .url import ShamanURL

log = logging.getLogger("bat_core.shaman.client")

_UPLOAD_CHUNK = 1024 * 1024
_MAX_MESSAGE = 300
_SSL_DETAIL = re.compile(r"\[SSL: [A-Z_]+\][^'\"()]*")
_O_BINARY = getattr(os, "O_BINARY", 0)
FILE_STATES = frozenset({"unknown", "uploading", "stored"})


class ServerAnswerError(ShamanError):
    """The server answered a call with an error status."""

    def __init__(self, message: str, status: int, server_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.server_message = server_message


class ConnectionLostError(ShamanError):
    """The connection failed after (part of) the request may have reached the server."""


class FileChangedError(TransferError):
    """A file became shorter while it was being uploaded."""


@dataclass(frozen=True)
class FileSpec:
    sha: str
    size: int
    path: str

    def as_json(self) -> dict[str, Any]:
        return {"sha": self.sha, "size": self.size, "path": self.path}


@dataclass(frozen=True)
class RequiredFile:
    """One entry of a requirements answer: a file the server does not have yet."""

    sha: str
    size: int
    path: str
    status: str
    """``unknown`` or ``uploading``."""


class UploadReply(Enum):
    STORED = "stored"
    """2xx: our bytes were verified and stored."""
    ALREADY_STORED = "already-stored"
    """208: the server had it, or someone else finished it while we were sending."""
    DEFER = "defer"
    """425: someone else is uploading it; come back later."""
    MISMATCH = "mismatch"
    """417: the bytes did not match the declared checksum or size."""


@dataclass(frozen=True)
class UploadResult:
    reply: UploadReply
    message: str = ""


@dataclass(frozen=True)
class ClientOptions:
    token: str | None = field(default=None, repr=False)
    """Sent as ``Authorization: Bearer``; kept out of reprs and messages."""
    ca_bundle: Path | None = None
    """A PEM file of CA certificates to trust instead of the system ones. TLS is always verified."""
    connections: int = 4
    retries: int = 4
    backoff_s: float = 0.25
    max_backoff_s: float = 4.0
    connect_timeout_s: float = 10.0
    json_timeout_s: float = 60.0
    upload_timeout_s: float = 300.0


class ShamanClient:
    """Talks to one Shaman server; safe to use from several threads at once."""

    def __init__(self, url: ShamanURL, options: ClientOptions | None = None) -> None:
        self.url = url
        self.options = options or ClientOptions()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def describe(self) -> str:
        return f"Shaman server {self.url.base_url}"

    # -- operations ------------------------------------------------------------------------

    def requirements(self, specs: Sequence[FileSpec], cancel: CancelToken | None = None) -> list[RequiredFile]:
        """Which of ``specs`` the server lacks, checked against what was asked (R4)."""
        answer = self._json_call(
            "POST",
            "checkout/requirements",
            {"files": [s.as_json() for s in specs]},
            what="asking which files are needed",
            idempotent=True,
            cancel=cancel,
        )
        sent = {s.path for s in specs}
        files = answer.get("files") if isinstance(answer, dict) else None
        if not isinstance(files, list):
            raise ShamanError(f"{self.describe()} answered the requirements call without a 'files' list")
        result: list[RequiredFile] = []
        for entry in files:
            try:
                required = RequiredFile(str(entry["sha"]), int(entry["size"]), str(entry["path"]), str(entry["status"]))
            except (KeyError, TypeError, ValueError):
                raise ShamanError(f"{self.describe()} answered the requirements call with a malformed entry") from None
            if required.path not in sent:
                raise ShamanError(
                    f"{self.describe()} asked for {required.path!r}, a file that was never offered; "
                    "refusing to continue with a server that answers about other files"
                )
            if required.status not in ("unknown", "uploading"):
                raise ShamanError(
                    f"{self.describe()} listed {required.path!r} as needed with status "
                    f"{required.status!r} (expected 'unknown' or 'uploading')"
                )
            result.append(required)
        return result

    def file_status(self, sha: str, size: int, cancel: CancelToken | None = None) -> str:
        """``unknown``, ``uploading`` or ``stored``."""
        answer = self._json_call(
            "GET", self._file_route(sha, size), None, what="asking for a file's status", idempotent=True, cancel=cancel
        )
        status = answer.get("status") if isinstance(answer, dict) else None
        if status not in FILE_STATES:
            raise ShamanError(f"{self.describe()} answered a file status call with {status!r}")
        assert isinstance(status, str)
        return status

    def checkout(self, specs: Sequence[FileSpec], checkout_path: str, cancel: CancelToken | None = None) -> str:
        """Create the checkout; returns the path the server actually used."""
        answer = self._json_call(
            "POST",
            "checkout/create",
            {"files": [s.as_json() for s in specs], "checkoutPath": checkout_path},
            what=f"creating checkout {checkout_path!r}",
            idempotent=False,
            cancel=cancel,
        )
        used = answer.get("checkoutPath") if isinstance(answer, dict) else None
        if not isinstance(used, str) or not used:
            raise ShamanError(f"{self.describe()} created checkout {checkout_path!r} but did not say where")
        return used

    def upload(
        self,
        source: Path,
        sha: str,
        size: int,
        pack_path: str,
        *,
        can_defer: bool,
        on_bytes: Callable[[int], None],
        cancel: CancelToken | None = None,
    ) -> UploadResult:
        """POST one file. Raises ConnectionLostError when the connection failed mid-request."""
        headers = {
            "Content-Type": "application/octet-stream",
            "X-Shaman-Can-Defer-Upload": "true" if can_defer else "false",
            "X-Shaman-Original-Filename": filename_header(pack_path),
            **self._auth(),
        }
        url = self.url.api_url + self._file_route(sha, size)
        attempt = 0
        while True:
            # requests sends an empty iterable chunked; an empty file needs Content-Length: 0.
            body: _FileBody | bytes = _FileBody(source, size, on_bytes) if size else b""
            try:
                response = self._session().post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=(self.options.connect_timeout_s, self.options.upload_timeout_s),
                )
            except requests.RequestException as exc:
                if _nothing_sent(exc) and attempt < self.options.retries:
                    attempt += 1
                    self._backoff(attempt, cancel)
                    continue
                raise ConnectionLostError(
                    self._scrub(f"{self.describe()}: connection lost while uploading {pack_path!r}: {_reason(exc)}")
                ) from None
            status = response.status_code
            if status == 208:
                return UploadResult(UploadReply.ALREADY_STORED)
            if 200 <= status < 300:
                return UploadResult(UploadReply.STORED)
            if status == 425:
                return UploadResult(UploadReply.DEFER)
            message = _server_message(response)
            if status == 417:
                return UploadResult(UploadReply.MISMATCH, self._scrub(message))
            if status == 503 and attempt < self.options.retries:
                attempt += 1
                self._backoff(attempt, cancel)
                continue
            raise self._answer_error(f"uploading {pack_path!r}", status, message)

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    # -- plumbing --------------------------------------------------------------------------

    @staticmethod
    def _file_route(sha: str, size: int) -> str:
        return f"files/{quote(sha, safe='')}/{size}"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.options.token}"} if self.options.token else {}

    def _session(self) -> requests.Session:
        # One session per thread: requests does not promise that a Session is thread-safe.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # No proxies, CA bundles or .netrc passwords from the environment: what is sent
            # where, and with which credentials, is decided by the caller alone.
            session.trust_env = False
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.verify = str(self.options.ca_bundle) if self.options.ca_bundle else True
            session.headers["User-Agent"] = "blender-asset-tracer-shaman-client"
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _json_call(
        self,
        method: str,
        route: str,
        payload: Any,
        *,
        what: str,
        idempotent: bool,
        cancel: CancelToken | None,
    ) -> Any:
        url = self.url.api_url + route
        attempt = 0
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                response = self._session().request(
                    method,
                    url,
                    data=None if payload is None else json.dumps(payload).encode("utf-8"),
                    headers={"Content-Type": "application/json", "Accept": "application/json", **self._auth()},
                    timeout=(self.options.connect_timeout_s, self.options.json_timeout_s),
                )
            except requests.RequestException as exc:
                if (idempotent or _nothing_sent(exc)) and attempt < self.options.retries:
                    attempt += 1
                    log.info("%s: %s failed (%s), retrying", self.describe(), what, _reason(exc))
                    self._backoff(attempt, cancel)
                    continue
                raise ShamanUnavailableError(
                    self._scrub(f"{self.describe()}: {what}: cannot reach the server: {_reason(exc)}")
                ) from None
            status = response.status_code
            retry = status == 503 or (idempotent and status >= 500)
            if retry and attempt < self.options.retries:
                attempt += 1
                log.info("%s: %s answered HTTP %d, retrying", self.describe(), what, status)
                self._backoff(attempt, cancel)
                continue
            if status >= 300:
                raise self._answer_error(what, status, _server_message(response))
            try:
                return response.json()
            except ValueError:
                raise ShamanError(
                    f"{self.describe()}: {what}: the answer is not JSON (HTTP {status}); "
                    "is this URL a Flamenco Manager?"
                ) from None

    def _answer_error(self, what: str, status: int, message: str) -> ShamanError:
        text = f"{self.describe()}: {what} failed: HTTP {status}"
        if message:
            text += f": {message}"
        if status == 503:
            return ShamanUnavailableError(self._scrub(text + " (is Shaman enabled in the Manager?)"))
        if status in (401, 403):
            text += " (check the token)"
        elif status == 404:
            text += " (is this a Flamenco 3 Manager with Shaman?)"
        return ServerAnswerError(self._scrub(text), status, self._scrub(message))

    def _backoff(self, attempt: int, cancel: CancelToken | None) -> None:
        delay = min(self.options.max_backoff_s, self.options.backoff_s * 2 ** (attempt - 1))
        sleep(delay * (0.75 + random.random() / 2), cancel)

    def _scrub(self, text: str) -> str:
        token = self.options.token
        return text.replace(token, "***") if token else text


def sleep(seconds: float, cancel: CancelToken | None) -> None:
    """Sleep, but return early (raising CancelledError) within 50 ms of a cancel."""
    deadline = time.monotonic() + seconds
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.05, left))


class _FileBody:
    """An upload body streamed from disk: exactly ``size`` bytes, or an error.

    Iterable with a length, so requests sends a Content-Length and hands the chunks to the
    socket as they are. ``on_bytes`` may raise (CancelledError) to stop the upload; the
    exception travels out of ``requests.post`` unchanged.
    """

    def __init__(self, source: Path, size: int, on_bytes: Callable[[int], None]) -> None:
        self.source = source
        self.size = size
        self.on_bytes = on_bytes

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        left = self.size
        try:
            fd = os.open(self.source, os.O_RDONLY | _O_BINARY)
        except OSError as exc:
            raise TransferError(f"cannot read {self.source}: {exc.strerror}") from exc
        try:
            while left > 0:
                chunk = os.read(fd, min(_UPLOAD_CHUNK, left))
                if not chunk:
                    raise FileChangedError(f"{self.source} became shorter while it was being uploaded")
                left -= len(chunk)
                yield chunk
                self.on_bytes(len(chunk))
        except OSError as exc:
            raise TransferError(f"cannot read {self.source}: {exc.strerror}") from exc
        finally:
            os.close(fd)


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True when the request surely never reached the server (could not connect)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        return False  # retrying a certificate problem does not help
    text = repr(exc)
    return isinstance(exc, requests.exceptions.ConnectionError) and (
        "NewConnectionError" in text or "NameResolutionError" in text
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        found = _SSL_DETAIL.search(str(exc))
        detail = found.group(0).strip() if found else _innermost(exc)
        return f"TLS error: {detail} (is the server's certificate trusted? a CA bundle can be given)"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timed out while connecting"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out waiting for the answer"
    return _innermost(exc)


def _innermost(exc: BaseException) -> str:
    """The most specific part of a requests/urllib3 error, without URLs and pool details."""
    text = str(exc)
    for marker in ("Failed to establish a new connection: ", "Connection aborted.', ", "Caused by "):
        if marker in text:
            text = text.split(marker, 1)[1]
    text = text.strip("()'\" ")
    return text[:_MAX_MESSAGE] or type(exc).__name__


def _server_message(response: requests.Response) -> str:
    """The message of an error answer, whichever shape it has."""
    text = response.text if response.content else ""
    try:
        document = json.loads(text) if text else None
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("message"), str):
        text = document["message"]
    text = " ".join(text.split())
    return text[:_MAX_MESSAGE] + ("..." if len(text) > _MAX_MESSAGE else "")
