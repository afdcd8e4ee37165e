# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe: a fresh Blender (bpy) process with the extension already installed in the user
folder; enable it and see where boto3 and its dependencies are imported from."""

from __future__ import annotations

import importlib
import sys

import bpy
from common import PKG, emit


def main() -> None:
    import addon_utils  # on sys.path only once bpy is imported

    facts = {"preloaded": sorted(m for m in ("boto3", "botocore") if m in sys.modules)}
    addon_utils.enable(PKG, default_set=True)
    facts["enabled"] = PKG in bpy.context.preferences.addons
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six"):
        mod = importlib.import_module(name)
        facts[name] = {"file": mod.__file__, "version": getattr(mod, "__version__", "")}
    import boto3

    # Build a client offline: proves the botocore data files came with the wheel.
    client = boto3.session.Session().client(
        "s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="y",
    )  # fmt: skip
    facts["client"] = type(client).__name__
    facts["extension_site"] = bpy.utils.user_resource("EXTENSIONS", path=".local")
    emit(facts)


main()
