# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn a job's outcome into the one-line report a user sees and the operator's return value."""

from __future__ import annotations

from dataclasses import dataclass

from .progress_view import human_bytes
from .runner import Outcome
from .summary import JobSummary


@dataclass(frozen=True)
class Verdict:
    level: str  # report type: "INFO", "WARNING" or "ERROR"
    status: str  # BAT_PG_result.status
    message: str
    finished: bool  # operator returns FINISHED (else CANCELLED, which makes bpy.ops raise on ERROR)


def count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _where(summary: JobSummary) -> str:
    if summary.operation == "shaman" and summary.checkout_path:
        return f"Shaman checkout {summary.checkout_path}"
    return summary.target or summary.operation


def headline(summary: JobSummary) -> str:
    if summary.operation == "check":
        counts = {c: sum(1 for d in summary.dependencies if d.category == c) for c in ("missing", "outside_project")}
        absolute = sum(1 for d in summary.dependencies if d.category == "absolute")
        return (
            f"Checked {summary.target}: {counts['missing']} missing, "
            f"{counts['outside_project']} outside the project, {absolute} absolute"
        )
    size = human_bytes(summary.bytes_total)
    if summary.dry_run:
        return f"Dry run: would pack {count(summary.files_total, 'file')} ({size}) to {summary.target}"
    text = f"Packed {count(summary.files_total, 'file')} ({size}) to {_where(summary)}"
    if summary.operation in ("shaman", "s3"):
        uploaded = human_bytes(summary.uploaded_bytes)
        text += f"; uploaded {count(summary.uploaded_files, 'file')} ({uploaded})"
    return text


def verdict(outcome: Outcome) -> Verdict:
    if outcome.error:
        return Verdict("ERROR", "FAILED", f"BAT: {outcome.error}", finished=False)
    if outcome.cancelled or outcome.summary is None:
        return Verdict("WARNING", "CANCELLED", "BAT: cancelled by the user", finished=False)
    summary = outcome.summary
    text = "BAT: " + headline(summary)
    if summary.operation == "check":
        if summary.dependencies:
            return Verdict("WARNING", "WARNING", text + " (see the BAT panel)", finished=True)
        return Verdict("INFO", "OK", text, finished=True)
    if summary.missing:
        missing = len(summary.missing)
        verb = "is" if missing == 1 else "are"
        text += f"; {count(missing, 'referenced file')} {verb} missing (see the BAT panel)"
        return Verdict("WARNING", "WARNING", text, finished=True)
    return Verdict("INFO", "OK", text, finished=True)
