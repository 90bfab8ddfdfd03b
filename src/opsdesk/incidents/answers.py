"""The plain questions a requester answers instead of picking impact and urgency.

The portal's report form and the incident API both ask them, so the answers mean the same
urgency wherever an incident is reported. Keys are stable: API clients send them.
"""

# "Who is affected?" -> impact (1 high ... 3 low).
WHO_AFFECTED = [
    ("me", "Just me"),
    ("team", "My team or several people"),
    ("all", "Many people or everyone"),
]
# "Can you keep working?" -> urgency (1 high ... 3 low).
CAN_KEEP_WORKING = [
    ("yes", "Yes, it is an annoyance"),
    ("slow", "Only slowly or with a workaround"),
    ("no", "No, I am blocked"),
]
_IMPACT_FOR = {"me": 3, "team": 2, "all": 1}
_URGENCY_FOR = {"yes": 3, "slow": 2, "no": 1}


def impact_for(who_affected: str) -> int:
    return _IMPACT_FOR[who_affected]


def urgency_for(can_keep_working: str) -> int:
    return _URGENCY_FOR[can_keep_working]
