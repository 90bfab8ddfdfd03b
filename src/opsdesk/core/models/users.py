from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser
from django.db import models

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in available_timezones() if "/" in tz or tz == "UTC")


class User(AbstractUser):
    """Anyone who uses opsdesk: requesters, agents, managers, service accounts."""

    display_name = models.CharField(max_length=150, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    department = models.CharField(max_length=100, blank=True, db_index=True)
    location = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", choices=TIME_ZONE_CHOICES)
    is_vip = models.BooleanField("VIP", default=False)
    available = models.BooleanField(
        "available for assignment",
        default=True,
        help_text="Off while away: automatic assignment passes this agent by.",
    )
    # Joiner, mover, leaver: access management grants birthright access from the start and
    # takes everything away at the end (from the user record, an HR import or SCIM).
    job_title = models.CharField(max_length=100, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    leaves_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["username"]

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    @property
    def name(self) -> str:
        return str(self)
