# SPDX-License-Identifier: GPL-3.0-or-later
"""The command-line interface: one module per sub-command, each with add_parser() and run()."""
