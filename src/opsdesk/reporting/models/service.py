"""The hours each service is agreed to be available: availability is measured inside them.

The CMDB says what a service is, the SLA app what a calendar is; neither says which calendar a
service's availability is agreed in, so reporting keeps that mapping. A service without one is
agreed 24x7 in the organisation's time zone.
"""

from django.db import models


class ServiceHours(models.Model):
    """The business calendar a service's agreed service time follows."""

    service = models.OneToOneField(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="+"
    )
    # Deleting the calendar puts the service back on the 24x7 default.
    calendar = models.ForeignKey("sla.BusinessCalendar", on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service__name"]
        verbose_name = "service hours"
        verbose_name_plural = "service hours"

    def __str__(self):
        return f"{self.service}: {self.calendar}"
