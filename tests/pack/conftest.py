# SPDX-License-Identifier: GPL-3.0-or-later
"""Pack tests that send to Shaman use the embedded server's fixtures."""

from shaman.server_fixture import make_shaman_server  # noqa: F401 - re-exported pytest fixture
