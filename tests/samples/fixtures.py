# SPDX-License-Identifier: GPL-3.0-or-later
"""Sample .blend files for the reader tests: made by bpy 5.0.1 at test time, and by bpy 4.2 (committed)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BPY42_DIR = HERE.parent / "data" / "bpy42"


@dataclass(frozen=True)
class SampleSet:
    label: str
    folder: Path
    facts: dict[str, Any]


def make_bpy50_samples(outdir: Path) -> SampleSet:
    """Run the generator with this interpreter's bpy (5.0.1) in a separate process."""
    proc = subprocess.run(
        [sys.executable, str(HERE / "make_samples.py"), str(outdir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"make_samples.py failed:\n{proc.stdout}\n{proc.stderr}")
    return SampleSet("bpy50", outdir, json.loads((outdir / "facts.json").read_text()))


def bpy42_samples() -> SampleSet:
    return SampleSet("bpy42", BPY42_DIR, json.loads((BPY42_DIR / "facts.json").read_text()))
