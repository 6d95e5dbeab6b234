import uuid
import zoneinfo
from functools import cache, cached_property

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts import signals
from careerplan.validators import validate_one_line_name


def validate_tz(value):
    """Accept only IANA zone names this machine knows ("Europe/London", not "BST")."""
    if value not in available_zones():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Choose one from the list, "
            "for example Europe/London.",
            params={"value": value},
            code="invalid_tz",
        )


@cache
def available_zones():
    """Return the IANA zone names offered and accepted (read from disk once per process)."""
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "Factory"}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person: logs in by email, has a display name and an IANA time zone."""

    username = None
    first_name = None
    last_name = None
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        max_length=60,
        help_text="How the app, and any buddy you invite, will address you.",
        validators=[validate_one_line_name],
    )
    tz = models.CharField(
        "time zone",
        max_length=64,
        default="UTC",
        validators=[validate_tz],
        help_text="Your days, deadlines and reminders follow this zone.",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    def __str__(self):
        return self.display_name or self.email

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name

    @cached_property
    def zone(self):
        return zoneinfo.ZoneInfo(self.tz)

    def local_now(self):
        return timezone.now().astimezone(self.zone)

    @transaction.atomic
    def change_zone(self, tz):
        """Move the person to the IANA zone `tz`; return True if it changed.

        Their completion dates stay the same local dates, so whatever hangs on an instant
        (a check-up at 09:00 local) is recomputed by the apps that listen to zone_changed,
        in this transaction.
        """
        if tz == self.tz:
            return False
        self.tz = tz
        self.__dict__.pop("zone", None)
        self.save(update_fields=["tz"])
        signals.zone_changed.send(sender=User, user=self)
        return True

    def local_today(self):
        """Return today's date where this person is (their day, not the server's)."""
        return self.local_now().date()
