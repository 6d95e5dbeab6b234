"""How reminders answers what accounts announces."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.signals import zone_changed
from reminders.models import Reminder


@receiver(post_save, sender=get_user_model(), dispatch_uid="reminders-new-planner")
def start_reminders(sender, instance, created, raw=False, **kwargs):
    """Every new planner has their reminders from the start, with the defaults: a planner
    who signs up and does nothing else still gets the weekly plan on their day."""
    if created and not raw:
        Reminder.objects.create_defaults(instance)


@receiver(zone_changed, sender=get_user_model(), dispatch_uid="reminders-zone-changed")
def recompute_reminders(sender, user, **kwargs):
    """A reminder's time is a wall-clock time: in a new zone it falls at a new instant."""
    Reminder.objects.filter(user=user).recompute()
