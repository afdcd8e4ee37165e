# SPDX-License-Identifier: GPL-3.0-or-later
"""Trace the external files a .blend depends on, through linked libraries."""

from .bpath import BlendPath
from .model import Expansion, FieldLocation, MissingDatablock, Owner, Reference, TraceResult
from .tracer import TraceOptions, trace

__all__ = [
    "BlendPath",
    "Expansion",
    "FieldLocation",
    "MissingDatablock",
    "Owner",
    "Reference",
    "TraceOptions",
    "TraceResult",
    "trace",
]
