# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument parsing and error handling shared by every sub-command.

A BatError becomes one line on stderr and exit status 1; anything else is a bug, reported in
one line too (set BAT_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from types import ModuleType

from ..errors import BatError, CancelledError
from . import blocks, info

Runner = Callable[[argparse.Namespace], int]

COMMANDS: tuple[ModuleType, ...] = (info, blocks)


def _optional_commands() -> list[ModuleType]:
    """Sub-commands whose modules may not exist yet in every checkout of the core."""
    found: list[ModuleType] = []
    import importlib

    for name in ("list_cmd", "pack_cmd", "s3_checkout_cmd"):
        try:
            found.append(importlib.import_module(f"{__package__}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bat_core",
        description="Blender Asset Tracer: inspect .blend files, trace, pack and send their dependencies",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (*COMMANDS, *_optional_commands()):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Runner = args.run
    try:
        return run(args)
    except CancelledError as exc:
        print(f"bat: cancelled: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("bat: interrupted", file=sys.stderr)
        return 130
    except BatError as exc:
        print(f"bat: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except Exception as exc:
        if os.environ.get("BAT_DEBUG"):
            traceback.print_exc()
        print(f"bat: internal error: {type(exc).__name__}: {exc} (set BAT_DEBUG=1 for details)", file=sys.stderr)
        return 3
