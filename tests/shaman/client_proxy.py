# SPDX-License-Identifier: GPL-3.0-or-later
"""A fault-injecting HTTP proxy on loopback, in front of a real Shaman server.

Client tests need a server that misbehaves on cue (a 500 now, a connection dropped in the
middle of a body, a slow link). The proxy forwards every request to the real server and
applies the first matching rule instead, when there is one::

    proxy = FaultProxy(server)
    proxy.add(Rule("POST", "/files/", action="respond", status=500, times=9))
    proxy.add(Rule("POST", "/files/", action="drop_after_forward"))
    url = proxy.shaman_url("checkout/path")

Actions: ``respond`` (answer ``status``/``body`` after reading the request body, never
forwarding it), ``drop_mid_body`` (read ``after_bytes`` of the body then reset the
connection), ``drop_after_forward`` (forward the whole request, then reset the client's
connection without relaying the answer), ``throttle`` (forward the body at
``rate_bytes_per_s``), ``rewrite_json`` (forward, then pass the JSON answer through
``rewrite``). Every request is logged in ``proxy.log``. With ``tls`` (a server-side
SSLContext) the proxy speaks HTTPS to its clients.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bat_core.shaman.server import ShamanServer

_CHUNK = 256 * 1024


@dataclass
class Rule:
    method: str
    path_contains: str
    action: str
    status: int = 500
    body: bytes = b'{"code": 500, "message": "injected failure"}'
    times: int | None = None
    """How many requests the rule applies to; None: all."""
    after_bytes: int = 0
    rate_bytes_per_s: float = 10e6
    rewrite: Callable[[Any], Any] | None = None
    when: Callable[[BaseHTTPRequestHandler], bool] | None = None
    used: int = 0

    def matches(self, handler: BaseHTTPRequestHandler) -> bool:
        if handler.command != self.method or self.path_contains not in handler.path:
            return False
        if self.times is not None and self.used >= self.times:
            return False
        return self.when is None or self.when(handler)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]
    action: str
    status: int | None
    body_bytes: int


@dataclass
class _State:
    rules: list[Rule] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FaultProxy:
    def __init__(self, server: ShamanServer | tuple[str, int], tls: ssl.SSLContext | None = None) -> None:
        self.upstream = server if isinstance(server, tuple) else (server.host, server.port)
        self.state = _State()
        self.tls = tls
        self._httpd = _ProxyServer(("127.0.0.1", 0), self)
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02})
        self._thread.daemon = True
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def shaman_url(self, checkout: str = "job") -> str:
        scheme = "shaman" if self.tls is not None else "shaman+http"
        return f"{scheme}://127.0.0.1:{self.port}/#{checkout}"

    def add(self, rule: Rule) -> Rule:
        with self.state.lock:
            self.state.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.state.lock:
            self.state.rules.clear()

    @property
    def log(self) -> list[LoggedRequest]:
        with self.state.lock:
            return list(self.state.log)

    def requests_to(self, method: str, path_contains: str) -> list[LoggedRequest]:
        return [r for r in self.log if r.method == method and path_contains in r.path]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets are what this proxy is for


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.proxy.state
        with state.lock:
            rule = next((r for r in state.rules if r.matches(self)), None)
            if rule is not None:
                rule.used += 1
        action = rule.action if rule is not None else "forward"
        length = int(self.headers.get("Content-Length") or 0)
        status: int | None = None
        received = 0
        try:
            if rule is not None and action == "respond":
                received = self._discard(length)
                status = rule.status
                self._answer(rule.status, rule.body)
            elif rule is not None and action == "drop_mid_body":
                received = self._discard(min(length, rule.after_bytes))
                self._reset()
            else:
                rate = rule.rate_bytes_per_s if rule is not None and action == "throttle" else None
                status, headers, body, received = self._forward(length, rate)
                if rule is not None and action == "drop_after_forward":
                    self._reset()
                else:
                    if rule is not None and action == "rewrite_json" and rule.rewrite is not None:
                        body = json.dumps(rule.rewrite(json.loads(body))).encode()
                    self._answer(status, body, headers.get("Content-Type", "application/json"))
                    if received < length:
                        self._reset()  # the server answered early: pass the cut-off on
        finally:
            with state.lock:
                state.log.append(
                    LoggedRequest(self.command, self.path, dict(self.headers.items()), action, status, received)
                )

    def _discard(self, count: int) -> int:
        done = 0
        while done < count:
            chunk = self.rfile.read(min(_CHUNK, count - done))
            if not chunk:
                break
            done += len(chunk)
        return done

    def _forward(self, length: int, rate: float | None) -> tuple[int, dict[str, str], bytes, int]:
        host, port = self.server.proxy.upstream
        upstream = http.client.HTTPConnection(host, port, timeout=60)
        upstream.connect()
        assert upstream.sock is not None
        upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in ("connection", "keep-alive"):
                upstream.putheader(name, value)
        upstream.endheaders()
        sent = 0
        started = time.monotonic()
        try:
            while sent < length:
                chunk = self.rfile.read(min(64 * 1024 if rate else _CHUNK, length - sent))
                if not chunk:
                    break
                upstream.send(chunk)
                sent += len(chunk)
                if rate:
                    ahead = sent / rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            pass  # the server stopped reading (it answered early); its answer follows
        response = upstream.getresponse()
        body = response.read()
        headers = {k: v for k, v in response.getheaders()}
        upstream.close()
        return response.status, headers, body, sent

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status != 204:
            self.wfile.write(body)
        self.wfile.flush()

    def _reset(self) -> None:
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True
