# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading an HTTP request body in pieces, whatever its framing, without buffering it.

Supports ``Content-Length`` and ``Transfer-Encoding: chunked`` (what ``requests`` sends for
generator bodies). A body that ends early raises ClientGoneError: the client vanished or
its read side was shut down on purpose (upload cut-off).
"""

from __future__ import annotations

import io
from collections.abc import Callable

CHUNK = 256 * 1024


class ClientGoneError(Exception):
    """The body ended before its declared length."""


class BadFramingError(Exception):
    """The body's framing headers or chunk lines are not valid HTTP/1.1."""


class BodyReader:
    def __init__(
        self,
        rfile: io.BufferedIOBase,
        content_length: int | None,
        chunked: bool,
        on_bytes: Callable[[int], None],
        before_first_read: Callable[[], None] = lambda: None,
    ) -> None:
        self._rfile = rfile
        self._chunked = chunked
        # For a chunked body: bytes left in the current chunk; None before the first one.
        self._remaining: int | None = None if chunked else (content_length or 0)
        self._done = not chunked and not content_length
        # Called with each piece's size; the server swaps in a counter for upload bodies.
        self.on_bytes = on_bytes
        self._before_first_read: Callable[[], None] | None = before_first_read
        self.bytes_read = 0

    @classmethod
    def from_headers(
        cls,
        rfile: io.BufferedIOBase,
        content_length: str | None,
        transfer_encoding: str | None,
        on_bytes: Callable[[int], None],
        before_first_read: Callable[[], None] = lambda: None,
    ) -> BodyReader:
        if transfer_encoding is not None:
            if transfer_encoding.strip().lower() != "chunked":
                raise BadFramingError(f"unsupported Transfer-Encoding {transfer_encoding!r}")
            return cls(rfile, None, True, on_bytes, before_first_read)
        if content_length is None:
            return cls(rfile, 0, False, on_bytes, before_first_read)
        text = content_length.strip()
        if not text.isdigit():
            raise BadFramingError(f"invalid Content-Length {content_length!r}")
        return cls(rfile, int(text), False, on_bytes, before_first_read)

    @property
    def done(self) -> bool:
        return self._done

    @property
    def known_remaining(self) -> int | None:
        """Bytes still to come when the framing says so (Content-Length), else None."""
        if self._done:
            return 0
        return None if self._chunked else self._remaining

    def read(self, limit: int = CHUNK) -> bytes:
        """Up to ``limit`` bytes of body; b"" once the body is complete."""
        if self._done:
            return b""
        if self._before_first_read is not None:
            self._before_first_read()
            self._before_first_read = None
        if self._chunked and not self._remaining and not self._start_chunk():
            return b""
        assert self._remaining is not None
        data = self._rfile.read1(min(limit, self._remaining))
        if not data:
            raise ClientGoneError(f"body ended after {self.bytes_read} bytes")
        self._remaining -= len(data)
        self.bytes_read += len(data)
        self.on_bytes(len(data))
        if self._remaining == 0:
            if self._chunked:
                self._expect_line_end()
            else:
                self._done = True
        return bytes(data)

    def _readline(self) -> bytes:
        line = self._rfile.readline(1024)
        if not line:
            raise ClientGoneError(f"body ended after {self.bytes_read} bytes")
        return line

    def _expect_line_end(self) -> None:
        if self._readline().strip() != b"":
            raise BadFramingError("chunk data is not followed by CRLF")

    def _start_chunk(self) -> bool:
        """Read a chunk header; False when it was the last (empty) chunk."""
        line = self._readline().split(b";", 1)[0].strip()
        try:
            size = int(line, 16)
        except ValueError:
            raise BadFramingError(f"invalid chunk size line {line[:40]!r}") from None
        if size < 0:
            raise BadFramingError("negative chunk size")
        if size == 0:
            # Trailers, if any, end with an empty line.
            while self._readline().strip() != b"":
                pass
            self._done = True
            return False
        self._remaining = size
        return True

    def drain(self, limit: int) -> bool:
        """Read and drop the rest of the body if it is at most ``limit`` bytes; True if done."""
        remaining = self.known_remaining
        if remaining is None or remaining > limit:
            return self._done
        try:
            while self.read():
                pass
        except (ClientGoneError, BadFramingError, OSError):
            return False
        return True
