"""On-call: schedules of layered rotations and overrides, and escalation policies per team."""
