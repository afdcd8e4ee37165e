# SPDX-License-Identifier: GPL-3.0-or-later
"""Send a pack's files to a directory, a ZIP, S3 or Shaman: one engine, many targets."""

from __future__ import annotations

from .engine import TransferResult, run_transfer
from .target import SendOutcome, Target, TransferItem, check_pack_path

__all__ = ["SendOutcome", "Target", "TransferItem", "TransferResult", "check_pack_path", "run_transfer"]
