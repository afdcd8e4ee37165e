# SPDX-License-Identifier: GPL-3.0-or-later
"""Shaman: Flamenco's content-addressed upload and checkout protocol.

The server side (``server``, ``handler``, ``store``, ``checkout``, ``gc``) is a complete test
server with a strict mode (the documented protocol) and an f3-compat mode (what Flamenco 3
actually does); see ``/work/shared/shaman-protocol.md``. Client modules live next to it.
"""
