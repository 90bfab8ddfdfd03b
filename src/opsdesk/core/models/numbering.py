from django.db import models


class NumberSequence(models.Model):
    """The last number handed out per prefix (INC, PRB, REQ, ...)."""

    prefix = models.CharField(max_length=10, primary_key=True)
    last_value = models.BigIntegerField()

    def __str__(self):
        return f"{self.prefix} at {self.last_value}"
