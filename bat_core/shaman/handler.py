# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP side of the Shaman test server: routing, request parsing, status codes.

Two error body shapes exist, as in Flamenco 3: errors from a handler carry the ``Error``
schema ``{"code", "message"}``; in f3-compat mode, errors F3 raises before its handler runs
(request validation, parameter binding) carry only ``{"message"}``. Strict mode always
sends the ``Error`` schema.
"""

from __future__ import annotations

import errno
import json
import logging
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from .body import BadFramingError, BodyReader, ClientGoneError
from .checkout import CheckoutError, CheckoutFile, CheckoutProblem, create_checkout
from .config import ServerMode, ServerOptions, StatsCounter
from .headers import UnsupportedCharsetError, decode_filename, parse_bool
from .http_error import HttpError
from .identity import FileIdentity, is_path_safe_checksum, is_valid_checksum
from .receive import receive_buffered, receive_streaming
from .store import FileState, FileStore
from .validation import file_path_problem

log = logging.getLogger("bat_core.shaman.server")

SHAMAN_PREFIX = "/api/v3/shaman/"
# Ours, not Flamenco's: counters for tests and debugging.
STATS_PATH = "/bat-shaman/stats"
STATS_RESET_PATH = "/bat-shaman/stats/reset"
CONFIGURATION_PATH = "/api/v3/configuration"

MAX_JSON_BODY = 256 * 1024 * 1024
# An early answer leaves the body unread; small rests are read so the connection can be
# reused, larger ones are cut off by closing (the client then sees the answer or a reset).
DRAIN_LIMIT = 64 * 1024
DRAIN_TIMEOUT = 2.0
_GO_INT = re.compile(r"[+-]?[0-9]+")


@dataclass
class ServerContext:
    """Everything a request handler needs, owned by one server."""

    storage: Path
    options: ServerOptions
    store: FileStore
    jobs_root: Path
    spool_dir: Path
    stats: StatsCounter
    connections: set[socket.socket] = field(default_factory=set)
    connections_changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def strict(self) -> bool:
        return self.options.mode is ServerMode.STRICT


class ShamanHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Clients upload in parallel; the default backlog of 5 makes extra connects wait ~1 s.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], context: ServerContext) -> None:
        self.context = context
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, ShamanRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up while we answer are normal here (cut-offs, killed clients);
        # socketserver would print a traceback to stderr for each.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class ShamanRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bat-shaman-test-server"
    server: ShamanHTTPServer

    # -- connection bookkeeping ----------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.context.options.socket_timeout_seconds)
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every small answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ctx = self.server.context
        with ctx.connections_changed:
            ctx.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            ctx = self.server.context
            with ctx.connections_changed:
                ctx.connections.discard(self.connection)
                ctx.connections_changed.notify_all()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def handle_expect_100(self) -> bool:
        # Answer "100 Continue" only when the body is really wanted, so an early 425/208
        # costs an Expect-aware client nothing.
        self._continue_pending = True
        return True

    def _send_continue(self) -> None:
        if getattr(self, "_continue_pending", False):
            self._continue_pending = False
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()

    # -- responses -----------------------------------------------------------------------

    @property
    def ctx(self) -> ServerContext:
        return self.server.context

    def _send(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode("utf-8")
        self._send(status, body, "application/json")

    def _send_error(self, error: HttpError) -> None:
        payload: dict[str, object]
        if error.before_handler and not self.ctx.strict:
            payload = {"message": error.message}
        else:
            payload = {"code": error.status, "message": error.message}
        self._send_json(error.status, payload)

    # -- dispatch ------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        self.ctx.stats.add("requests")
        self._body: BodyReader | None = None
        try:
            self._body = BodyReader.from_headers(
                self.rfile,
                self.headers.get("Content-Length"),
                self.headers.get("Transfer-Encoding"),
                on_bytes=lambda n: None,
                before_first_read=self._send_continue,
            )
        except BadFramingError as exc:
            self.close_connection = True
            self._send_error(HttpError(400, str(exc), before_handler=True))
            return
        try:
            self._handle(method)
        finally:
            self._continue_pending = False

    def _handle(self, method: str) -> None:
        try:
            self._route(method, urlsplit(self.path).path)
        except HttpError as exc:
            self._finish_body()
            self._send_error(exc)
        except (ClientGoneError, TimeoutError, ConnectionError) as exc:
            log.info("client %s went away during %s %s: %s", self.address_string(), method, self.path, exc)
            self.close_connection = True
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                log.exception("unexpected error in %s %s", method, self.path)
                self.close_connection = True
                self._send_error(HttpError(500, f"unexpected error: {exc}"))
                return
            # A full disk is the operator's to fix, not a reason for clients to retry: 507.
            log.error("storage full during %s %s: %s", method, self.path, exc)
            self.close_connection = True
            self._send_error(HttpError(507, "the server's storage is full"))
        except Exception as exc:  # a bug or an I/O failure: answer, never hang the client
            log.exception("unexpected error in %s %s", method, self.path)
            self.close_connection = True
            self._send_error(HttpError(500, f"unexpected error: {exc}"))
        else:
            self._finish_body()

    def _finish_body(self) -> None:
        """Make sure the next request on this connection starts at a request line."""
        body = self._body
        if body is None or body.done:
            return
        if getattr(self, "_continue_pending", False):
            # The client waits for "100 Continue" that will not come: it sends no body.
            self.close_connection = True
            return
        # A client that stalls must not hold this thread: a short timeout, then hang up.
        previous = self.connection.gettimeout()
        self.connection.settimeout(DRAIN_TIMEOUT)
        try:
            if not body.drain(DRAIN_LIMIT):
                self.close_connection = True
        finally:
            self.connection.settimeout(previous)

    def _route(self, method: str, path: str) -> None:
        if path == CONFIGURATION_PATH:
            self._require(method, "GET")
            self._configuration()
            return
        if path == STATS_PATH:
            self._require(method, "GET")
            self._send_json(200, self.ctx.stats.snapshot().as_json())
            return
        if path == STATS_RESET_PATH:
            self._require(method, "POST")
            self.ctx.stats.reset()
            self._send(204)
            return
        if not path.startswith(SHAMAN_PREFIX):
            raise HttpError(404, "Not Found", before_handler=True)
        rest = path[len(SHAMAN_PREFIX) :]
        if rest == "checkout/requirements":
            self._require(method, "POST")
            self._requirements()
        elif rest == "checkout/create":
            self._require(method, "POST")
            self._checkout()
        elif rest.startswith("files/") and rest.count("/") == 2:
            _files, checksum, size = (unquote(part) for part in rest.split("/"))
            self._require(method, "GET", "POST")
            identity = self._bind_identity(checksum, size)
            if method == "GET":
                self._file_status(identity)
            else:
                self._file_store(identity)
        else:
            raise HttpError(404, "Not Found", before_handler=True)

    @staticmethod
    def _require(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise HttpError(405, "Method Not Allowed", before_handler=True)

    def _check_enabled(self) -> None:
        if not self.ctx.options.enabled:
            raise HttpError(503, "shaman server not active")

    # -- parameters and JSON -------------------------------------------------------------

    def _bind_identity(self, checksum: str, size_text: str) -> FileIdentity:
        if self.ctx.strict:
            if not size_text.isascii() or not size_text.isdigit():
                raise HttpError(400, f"invalid file size {size_text!r}: expected a non-negative integer")
            if not is_valid_checksum(checksum):
                raise HttpError(400, f"invalid checksum {checksum!r}: expected 64 lowercase hexadecimal characters")
            return FileIdentity(checksum, int(size_text))
        if not _GO_INT.fullmatch(size_text):
            raise HttpError(
                400,
                f"Invalid format for parameter filesize: {size_text!r} is not an integer",
                before_handler=True,
            )
        if len(checksum) < 2:
            # F3 slices the checksum and panics; Echo recovers with a bare 500.
            raise HttpError(500, "Internal Server Error", before_handler=True)
        if not is_path_safe_checksum(checksum):
            # Not F3: its checksum becomes a path, and ours must never escape the store.
            raise HttpError(400, f"invalid checksum {checksum!r}: only letters and digits are allowed")
        return FileIdentity(checksum, int(size_text))

    def _read_json(self) -> Any:
        assert self._body is not None
        known = self._body.known_remaining
        if known is not None and known > MAX_JSON_BODY:
            self.close_connection = True
            raise HttpError(413, f"request body of {known} bytes is larger than {MAX_JSON_BODY}")
        parts: list[bytes] = []
        total = 0
        while chunk := self._body.read():
            total += len(chunk)
            if total > MAX_JSON_BODY:
                self.close_connection = True
                raise HttpError(413, f"request body is larger than {MAX_JSON_BODY} bytes")
            parts.append(chunk)
        raw = b"".join(parts)
        if not raw:
            raise HttpError(400, "request body has an error: value is required but missing", before_handler=True)
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HttpError(400, f"request body is not valid JSON: {exc}", before_handler=True) from None

    def _parse_specs(self, document: Any, where: str) -> list[CheckoutFile]:
        if not isinstance(document, dict):
            raise HttpError(400, f"{where}: expected a JSON object", before_handler=True)
        files = document.get("files")
        if not isinstance(files, list):
            raise HttpError(400, f'{where}: property "files" must be an array', before_handler=True)
        specs: list[CheckoutFile] = []
        for index, item in enumerate(files):
            specs.append(self._parse_spec(item, f"{where}: files[{index}]"))
        return specs

    def _parse_spec(self, item: Any, where: str) -> CheckoutFile:
        if not isinstance(item, dict):
            raise HttpError(400, f"{where}: expected an object", before_handler=True)
        for key, kind in (("sha", str), ("size", int), ("path", str)):
            if key not in item:
                raise HttpError(400, f'{where}: property "{key}" is missing', before_handler=True)
            value = item[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise HttpError(400, f'{where}: property "{key}" has the wrong type', before_handler=True)
        sha, size, path = cast(str, item["sha"]), cast(int, item["size"]), cast(str, item["path"])
        if self.ctx.strict:
            if not is_valid_checksum(sha):
                raise HttpError(400, f"{where}: invalid sha {sha!r}: expected 64 lowercase hexadecimal characters")
            if size < 0:
                raise HttpError(400, f"{where}: negative size {size}")
            problem = file_path_problem(path)
            if problem:
                raise HttpError(400, f"{where}: invalid path {path!r}: {problem}")
        return CheckoutFile(FileIdentity(sha, size), path)

    # -- operations ----------------------------------------------------------------------

    def _configuration(self) -> None:
        self._send_json(
            200,
            {
                "storageLocation": str(self.ctx.storage),
                "shamanEnabled": self.ctx.options.enabled,
                "isFirstRun": False,
            },
        )

    def _requirements(self) -> None:
        specs = self._parse_specs(self._read_json(), "requirements")
        self._check_enabled()
        seen: set[FileIdentity] = set()
        answer: list[dict[str, object]] = []
        for spec in specs:
            if spec.identity in seen:
                continue
            seen.add(spec.identity)
            state = self.ctx.store.state(spec.identity)
            if state is FileState.STORED:
                self.ctx.store.touch(spec.identity)
                continue
            answer.append(
                {
                    "sha": spec.identity.checksum,
                    "size": spec.identity.size,
                    "path": spec.path,
                    "status": state.value,
                }
            )
        self._send_json(200, {"files": answer})

    def _checkout(self) -> None:
        document = self._read_json()
        specs = self._parse_specs(document, "checkout")
        requested = document.get("checkoutPath")
        if not isinstance(requested, str):
            raise HttpError(400, 'checkout: property "checkoutPath" must be a string', before_handler=True)
        self._check_enabled()
        try:
            used = create_checkout(self.ctx.store, self.ctx.jobs_root, requested, specs, strict=self.ctx.strict)
        except CheckoutError as exc:
            log.info("checkout %r failed: %s", requested, exc.message)
            if not self.ctx.strict:
                raise HttpError(500, f"unexpected error: {exc.message}") from None
            status = {
                CheckoutProblem.INVALID: 400,
                CheckoutProblem.MISSING: 424,
                CheckoutProblem.EXISTS: 409,
                CheckoutProblem.FAILED: 500,
            }[exc.problem]
            raise HttpError(status, exc.message) from None
        self.ctx.stats.add("checkouts_created")
        log.info("checkout %r created at %r with %d files", requested, used, len(specs))
        self._send_json(200, {"checkoutPath": used})

    def _file_status(self, identity: FileIdentity) -> None:
        self._check_enabled()
        self._send_json(200, {"status": self.ctx.store.state(identity).value})

    def _upload_headers(self) -> tuple[bool, str]:
        defer_text = self.headers.get("X-Shaman-Can-Defer-Upload")
        can_defer = False
        if defer_text is not None and defer_text.strip() != "":
            try:
                can_defer = parse_bool(defer_text.strip())
            except ValueError:
                raise HttpError(
                    400,
                    f"Invalid format for parameter X-Shaman-Can-Defer-Upload: {defer_text!r} is not a boolean",
                    before_handler=True,
                ) from None
        raw_name = self.headers.get("X-Shaman-Original-Filename")
        return can_defer, ("" if raw_name is None else raw_name)

    def _decode_filename(self, raw_name: str) -> str:
        if self.ctx.strict and ("\r" in raw_name or "\n" in raw_name):
            raise HttpError(400, "X-Shaman-Original-Filename is folded over several lines")
        if self.ctx.strict and not raw_name.isascii():
            raise HttpError(400, "X-Shaman-Original-Filename must be ASCII or RFC 2047 encoded (UTF-8)")
        try:
            return decode_filename(raw_name)
        except UnsupportedCharsetError as exc:
            raise HttpError(400, f"X-Shaman-Original-Filename: {exc}") from None

    def _file_store(self, identity: FileIdentity) -> None:
        can_defer, raw_name = self._upload_headers()
        self._check_enabled()
        name = self._decode_filename(raw_name)
        ctx = self.ctx
        ctx.stats.add("upload_requests")
        assert self._body is not None
        self._body.on_bytes = lambda n: ctx.stats.add("upload_bytes_received", n)
        log.debug("upload %s (%s), defer=%s", identity, name or "no filename", can_defer)
        if ctx.strict:
            outcome = receive_streaming(ctx.store, self._body, identity, can_defer, self.connection, ctx.stats)
        else:
            outcome = receive_buffered(ctx.store, self._body, identity, can_defer, ctx.spool_dir, ctx.stats)
        if outcome.close_connection:
            self.close_connection = True
        else:
            self._finish_body()
        self._send(outcome.status)
