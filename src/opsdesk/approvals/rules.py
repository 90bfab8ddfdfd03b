"""How a stage completes: the approvals its rule needs, and when a rejection makes it impossible.

Every rule reduces to "``required`` of the stage's ``total`` approvers must approve": any one
needs 1, all need every one, N of M needs N, a share needs that percent rounded up (at least
one). The stage is approved once ``required`` approved, and rejected as soon as the
rejections leave too few people to reach it.
"""

import math
from enum import StrEnum


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


def required_approvals(rule: str, *, total: int, count: int | None, percent: int | None) -> int:
    if rule == "any":
        return 1
    if rule == "all":
        return total
    if rule == "count":
        return int(count or 1)
    if rule == "share":
        return max(1, math.ceil(total * int(percent or 100) / 100))
    raise ValueError(f"unknown rule {rule!r}")


def stage_outcome(*, required: int, total: int, approved: int, rejected: int) -> Outcome | None:
    """Approved, rejected, or None while the stage is still open."""
    if approved >= required:
        return Outcome.APPROVED
    if total - rejected < required:
        return Outcome.REJECTED
    return None
