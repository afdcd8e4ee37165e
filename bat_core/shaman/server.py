# SPDX-License-Identifier: GPL-3.0-or-later
"""The embedded Shaman server: a stdlib HTTP server speaking Flamenco 3's Shaman API.

From Python::

    with ShamanServer(tmp_path, mode="f3-compat") as server:   # starts in a thread
        requests.get(server.url + "api/v3/shaman/files/<sha>/<size>")
        server.stats.upload_bytes_received

From a shell::

    python -m bat_core.shaman.server --storage DIR --port 0 [--mode strict|f3-compat]

which prints ``Shaman server listening on http://HOST:PORT/`` as its first line.

Besides the Flamenco routes it offers (ours, not part of the Flamenco API):
``GET /bat-shaman/stats`` → the ServerStats counters as JSON, and
``POST /bat-shaman/stats/reset`` → 204, counters back to zero.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType

from ..errors import ShamanServerError
from .config import ServerMode, ServerOptions, ServerStats, StatsCounter
from .handler import ServerContext, ShamanHTTPServer
from .store import FileStore

log = logging.getLogger("bat_core.shaman.server")


class ShamanServer:
    """One Shaman server over one storage directory (``file-store/`` and ``jobs/`` inside)."""

    def __init__(
        self,
        storage: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: ServerMode | str = ServerMode.STRICT,
        *,
        enabled: bool = True,
        stale_upload_seconds: float = 3600.0,
        socket_timeout_seconds: float = 120.0,
    ) -> None:
        self.storage = Path(storage).absolute()
        self.options = ServerOptions(
            mode=ServerMode(mode),
            enabled=enabled,
            stale_upload_seconds=stale_upload_seconds,
            socket_timeout_seconds=socket_timeout_seconds,
        )
        try:
            self.storage.mkdir(parents=True, exist_ok=True)
            strict = self.options.mode is ServerMode.STRICT
            self.store = FileStore(self.storage / "file-store", stale_upload_seconds if strict else None)
            self.jobs_root = self.storage / "jobs"
            self.jobs_root.mkdir(exist_ok=True)
        except OSError as exc:
            raise ShamanServerError(f"Shaman storage {self.storage} is not usable: {exc}") from exc
        self._stats = StatsCounter()
        self._context = ServerContext(
            storage=self.storage,
            options=self.options,
            store=self.store,
            jobs_root=self.jobs_root,
            spool_dir=self.storage / "upload-spool",
            stats=self._stats,
        )
        try:
            self._httpd = ShamanHTTPServer((host, port), self._context)
        except OSError as exc:
            raise ShamanServerError(f"Shaman server cannot listen on {host}:{port}: {exc}") from exc
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self._stopped = False

    @property
    def mode(self) -> ServerMode:
        return self.options.mode

    @property
    def url(self) -> str:
        """Base URL with a trailing slash, e.g. ``http://127.0.0.1:PORT/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def stats(self) -> ServerStats:
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    def start(self) -> ShamanServer:
        """Serve in a background (daemon) thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.serve_forever, name=f"shaman-server-{self.port}", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop`` is called from another thread."""
        self._serving.set()
        try:
            self._httpd.serve_forever(poll_interval=0.02)
        finally:
            self._serving.clear()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, cut open connections and wait for their handlers to clean up."""
        if self._stopped:
            return
        self._stopped = True
        if self._serving.is_set():
            self._httpd.shutdown()
        ctx = self._context
        with ctx.connections_changed:
            for connection in list(ctx.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            deadline = time.monotonic() + timeout
            while ctx.connections and time.monotonic() < deadline:
                ctx.connections_changed.wait(deadline - time.monotonic())
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> ShamanServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bat_core.shaman.server",
        description="Run a Shaman server (Flamenco 3 API) over a storage directory.",
    )
    parser.add_argument("--storage", required=True, type=Path, help="directory for file-store/ and jobs/")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--mode", choices=[m.value for m in ServerMode], default=ServerMode.STRICT.value)
    parser.add_argument("--disabled", action="store_true", help="answer 503 like a Manager with Shaman off")
    parser.add_argument(
        "--stale-upload-seconds",
        type=float,
        default=3600.0,
        help="strict mode: forget temp uploads idle this long (default 3600)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        server = ShamanServer(
            args.storage,
            args.host,
            args.port,
            args.mode,
            enabled=not args.disabled,
            stale_upload_seconds=args.stale_upload_seconds,
        )
    except ShamanServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Shaman server listening on {server.url}", flush=True)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
