# SPDX-License-Identifier: GPL-3.0-or-later
"""Pack a .blend and its dependencies: plan, rewrite copies, send to a target."""

from .pipeline import PackOutcome, PackRequest, build_report, run_pack
from .plan import PackPlan, PlanOptions, make_plan
from .targets import TargetSettings, open_target, target_kind

__all__ = [
    "PackOutcome",
    "PackPlan",
    "PackRequest",
    "PlanOptions",
    "TargetSettings",
    "build_report",
    "make_plan",
    "open_target",
    "run_pack",
    "target_kind",
]
