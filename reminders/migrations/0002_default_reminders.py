"""Give every planner who signed up before reminders existed the defaults a new planner
gets (reminders.models.DEFAULTS, as they were when this was written)."""

import zoneinfo
from datetime import time

from django.db import migrations
from django.utils import timezone

from reminders.schedule import next_occurrence

DEFAULTS = [
    ("weekly", True, time(8, 0), 0),
    ("morning", True, time(7, 30), None),
    ("next_step", False, time(9, 0), None),
    ("journal", False, time(20, 0), None),
]


def create_defaults(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Reminder = apps.get_model("reminders", "Reminder")
    now = timezone.now()
    for user in User.objects.filter(reminders__isnull=True).only("pk", "tz").iterator():
        zone = zoneinfo.ZoneInfo(user.tz)
        Reminder.objects.bulk_create(
            [
                Reminder(
                    user=user,
                    kind=kind,
                    enabled=enabled,
                    at=at,
                    weekday=weekday,
                    next_due=next_occurrence(now, zone, at, weekday) if enabled else None,
                )
                for kind, enabled, at, weekday in DEFAULTS
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
