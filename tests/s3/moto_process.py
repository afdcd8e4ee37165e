# SPDX-License-Identifier: GPL-3.0-or-later
"""Run moto's S3 server in its own process on 127.0.0.1 and a free port.

Usage: ``python moto_process.py`` prints ``PORT <n>`` once listening and serves until its
standard input closes, so the server never outlives the test run that started it.
Authentication is checked when INITIAL_NO_AUTH_ACTION_COUNT is set in the environment
(moto reads it at import).

In front of moto sits a small WSGI layer that lets tests measure and disturb the traffic
from the server side, where no client-side shortcut can hide anything:

* ``GET /__bat/stats`` answers JSON: requests per HTTP method and request-body bytes
  received per method (counted as read from the socket);
* ``POST /__bat/reset`` zeroes the counters;
* ``POST /__bat/throttle?count=N`` answers the next N S3 requests with 503 SlowDown, as
  AWS does when a prefix is over its request rate.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]

_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message><RequestId>bat-test</RequestId></Error>"
)


class _CountingInput:
    def __init__(self, stream: Any, add: Callable[[int], None]) -> None:
        self._stream = stream
        self._add = add

    def read(self, *args: Any) -> bytes:
        data: bytes = self._stream.read(*args)
        self._add(len(data))
        return data

    def readline(self, *args: Any) -> bytes:
        data: bytes = self._stream.readline(*args)
        self._add(len(data))
        return data

    def __iter__(self) -> Any:
        return iter(self.readline, b"")


class Front:
    def __init__(self, app: App) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._body_bytes: Counter[str] = Counter()
        self._throttle = 0
        self._fail: tuple[int, str, bytes] = (0, "", b"")  # count, HTTP status line, S3 error body

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__bat/"):
            return self._control(path, environ, start_response)
        method = environ["REQUEST_METHOD"]
        with self._lock:
            self._requests[method] += 1
            throttled = self._throttle > 0
            if throttled:
                self._throttle -= 1
            failing, fail_status, fail_body = self._fail
            if failing > 0 and not throttled:
                self._fail = (failing - 1, fail_status, fail_body)

        def add(n: int) -> None:
            with self._lock:
                self._body_bytes[method] += n

        environ["wsgi.input"] = _CountingInput(environ["wsgi.input"], add)
        if throttled:
            # Drain the body so the connection stays usable, as a real server would.
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length:
                environ["wsgi.input"].read(length)
            start_response("503 Slow Down", [("Content-Type", "application/xml")])
            return [_SLOW_DOWN]
        if failing > 0:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length:
                environ["wsgi.input"].read(length)
            start_response(fail_status, [("Content-Type", "application/xml")])
            return [fail_body]
        return self._app(environ, start_response)

    def _control(self, path: str, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            if path == "/__bat/stats":
                body = {"requests": dict(self._requests), "body_bytes": dict(self._body_bytes)}
            elif path == "/__bat/reset":
                self._requests.clear()
                self._body_bytes.clear()
                body = {}
            elif path == "/__bat/fail":
                # The next N S3 requests answer with an S3 error, e.g. ExpiredToken (400), as a
                # real endpoint does when temporary credentials run out in the middle of a pack.
                query = parse_qs(environ.get("QUERY_STRING", ""))
                code = query.get("code", ["ExpiredToken"])[0]
                status = query.get("status", ["400 Bad Request"])[0]
                error = (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    f"<Error><Code>{code}</Code><Message>injected by the test server</Message>"
                    "<RequestId>bat-test</RequestId></Error>"
                )
                self._fail = (int(query.get("count", ["0"])[0]), status, error.encode())
                body = {"fail": self._fail[0]}
            elif path == "/__bat/throttle":
                query = parse_qs(environ.get("QUERY_STRING", ""))
                self._throttle = int(query.get("count", ["0"])[0])
                body = {"throttle": self._throttle}
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"unknown control path"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


def main() -> int:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):  # type: ignore[misc]
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass  # one line per request would drown the test output

    app = Front(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    sys.stdin.read()  # returns when the parent closes the pipe or dies
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
