# SPDX-License-Identifier: GPL-3.0-or-later
"""Read .blend files of every Blender version, and write copies with fields rewritten."""

from .blocks import BlockHeader
from .file import BlendFile, FieldEdit, RawBlend, StructView, open_blend
from .header import FileHeader
from .rewrite import write_rewritten_copy
from .sdna import SDNA, Field, Struct
from .source import Compression

__all__ = [
    "SDNA",
    "BlendFile",
    "BlockHeader",
    "Compression",
    "Field",
    "FieldEdit",
    "FileHeader",
    "RawBlend",
    "Struct",
    "StructView",
    "open_blend",
    "write_rewritten_copy",
]
