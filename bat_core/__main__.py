# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m bat_core``: the command-line interface."""

import sys

from .cli.main import main

sys.exit(main())
