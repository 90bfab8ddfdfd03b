"""How long each assignment group held a record, one row per hold, for the OLA hold time."""

from django.db import models


class GroupHold(models.Model):
    """One finished hold of a record by an assignment group: from the history row where the
    group became the record's group to the next change of group or the resolution.

    Written by the fact refresh (``services.holds.group_holds_write``) with both durations
    worked out once: ``seconds`` in calendar time, ``business_seconds`` in the record's
    calendar less the time the SLA was paused. ``target_seconds`` is the group's OLA target
    (business time) when its OLA clock ran; ``within_target`` compares the business time.
    """

    fact = models.ForeignKey("reporting.RecordFact", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    ended_on = models.DateField()  # the organisation's day the hold ended: its period
    seconds = models.FloatField()
    business_seconds = models.FloatField()
    target_seconds = models.FloatField(null=True, blank=True)
    within_target = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["ended_on", "team"], name="hold_ended"),
            models.Index(fields=["team", "ended_on"], name="hold_team_ended"),
        ]

    def __str__(self):
        return f"{self.team} held fact {self.fact_id} from {self.started_at:%Y-%m-%d %H:%M}"
