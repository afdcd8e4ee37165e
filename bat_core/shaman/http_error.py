# SPDX-License-Identifier: GPL-3.0-or-later
"""An HTTP error answer, raised anywhere below the request handler and sent by it."""

from __future__ import annotations


class HttpError(Exception):
    """``before_handler`` marks errors F3 raises before its Shaman handler runs (request
    validation, parameter binding): in f3-compat mode they get Echo's ``{"message"}`` body
    instead of the ``Error`` schema."""

    def __init__(self, status: int, message: str, *, before_handler: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.before_handler = before_handler
