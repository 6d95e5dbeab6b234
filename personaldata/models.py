import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A ready archive can be downloaded for this long, then it is deleted: a copy of
# everything a person wrote should not lie on the server longer than it takes to fetch.
EXPORT_LIFETIME = timedelta(days=7)


def export_dir():
    return settings.VAR_DIR / "exports"


class DataExportQuerySet(models.QuerySet):
    def expired(self, now=None):
        return self.filter(expires__lte=now or timezone.now())


class DataExport(models.Model):
    """An archive of everything a person has, built by a worker for a large account.

    Its file lives under var/exports/ named by the row's code; only its owner, signed
    in, can download it, and only until it expires.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        BUILDING = "building", "Being built"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Could not be built"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Rows written so far out of the rows to write: the progress the page shows.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)

    objects = DataExportQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by the tidy task: queued rows to build and ready rows to expire.
            models.Index(
                fields=["status", "created"],
                name="dataexport_todo_idx",
                condition=Q(status__in=["queued", "building", "ready"]),
            ),
        ]

    def __str__(self):
        return f"Export {self.code} ({self.status})"

    @property
    def path(self):
        return export_dir() / f"{self.code}.zip"

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 0

    def is_downloadable(self, now=None):
        return self.status == DataExport.Status.READY and self.expires > (now or timezone.now())

    def delete_file(self):
        self.path.unlink(missing_ok=True)


class Closure(models.Model):
    """An account its owner asked to delete: deactivated at once, purged once every
    farewell email to its buddies has been settled, or at `purge_after` at the latest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="closure")
    requested = models.DateTimeField(default=timezone.now)
    purge_after = models.DateTimeField()

    def __str__(self):
        return f"Closure of account {self.user_id}"
