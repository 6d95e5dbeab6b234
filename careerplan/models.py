from django.db import models


class Heartbeat(models.Model):
    """One row per beat-scheduled job name: when it last ran, and where."""

    name = models.CharField(max_length=50, unique=True)
    last_run = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)
    hostname = models.CharField(max_length=255, blank=True)

    def __str__(self):
        return f"{self.name} at {self.last_run:%Y-%m-%d %H:%M:%S}"
