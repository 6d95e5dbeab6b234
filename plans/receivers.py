"""How plans answers what other apps announce."""

from django.contrib.auth import get_user_model
from django.dispatch import receiver

from accounts.signals import zone_changed
from plans.models import Step


@receiver(zone_changed, sender=get_user_model(), dispatch_uid="plans-zone-changed")
def recompute_checkups(sender, user, **kwargs):
    """A completion date is a local date: in a new zone its check-up falls at a new instant."""
    Step.objects.filter(plan__owner=user).recompute_checkups()
