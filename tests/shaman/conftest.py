# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes the Shaman server fixtures available to every test in tests/shaman/."""

from __future__ import annotations

from shaman.server_fixture import any_shaman_server, f3_server, make_shaman_server, shaman_server

__all__ = ["any_shaman_server", "f3_server", "make_shaman_server", "shaman_server"]
