"""Background work on people's data: building a large archive, expiring downloads, and
purging deleted accounts. Each is a unit the Celery tasks call and tests call directly."""

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from careerplan.mail import absolute_url, build_email
from personaldata import deletion
from personaldata.export import count_rows, write_archive
from personaldata.models import EXPORT_LIFETIME, DataExport, export_dir

log = logging.getLogger(__name__)

BUILD_TASK = "personaldata.tasks.build_export"
# A queued archive whose task was lost (broker down, worker restarted) is asked for
# again after this; one building for longer than STUCK_AFTER had its worker die.
LOST_AFTER = timedelta(minutes=2)
STUCK_AFTER = timedelta(hours=1)


def is_large(user):
    """True if the account's archive is built by a worker rather than in the request."""
    return count_rows(user) > settings.DATA_EXPORT_INLINE_ROWS


def request_export(user):
    """Return the person's archive being built, or queue a new one and ask a worker."""
    current = (
        DataExport.objects.filter(
            user=user, status__in=[DataExport.Status.QUEUED, DataExport.Status.BUILDING]
        )
        .order_by("-created")
        .first()
    )
    if current is not None:
        return current
    with transaction.atomic():
        export = DataExport.objects.create(user=user, total=count_rows(user))
        transaction.on_commit(lambda: ask_for_build(export.code))
    return export


def ask_for_build(code):
    # By name, like the outbox: a lost enqueue is found by `tidy` and asked for again.
    try:
        current_app.send_task(BUILD_TASK, args=[str(code)])
    except Exception:
        log.warning("Could not enqueue an export; the tidy task will.", exc_info=True)


def build_export(code, now=None):
    """Build one queued archive; return its status.

    1. Claim it (queued -> building, one conditional UPDATE): a second task for the
       same row finds nothing to do.
    2. Write the archive to a part file, recording progress as rows are written, and
       move it into place only when complete.
    3. Mark it ready with its expiry and email the owner a link to it (or mark it
       failed, and remove the part file, if anything went wrong).
    """
    claimed = DataExport.objects.filter(code=code, status=DataExport.Status.QUEUED).update(
        status=DataExport.Status.BUILDING
    )
    export = DataExport.objects.select_related("user").filter(code=code).first()
    if not claimed or export is None:
        return export.status if export else None
    export_dir().mkdir(parents=True, exist_ok=True)
    part = export.path.with_suffix(".part")

    def progress(done):
        DataExport.objects.filter(pk=export.pk).update(done=done, total=Greatest(F("total"), done))

    try:
        write_archive(export.user, part, progress)
        part.replace(export.path)
    except Exception:
        log.exception("Export %s could not be built", code)
        part.unlink(missing_ok=True)
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.FAILED)
        return DataExport.Status.FAILED
    now = now or timezone.now()
    DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.Status.READY,
        finished=now,
        expires=now + EXPORT_LIFETIME,
        size=export.path.stat().st_size,
    )
    export.refresh_from_db()
    send_ready_email(export)
    return DataExport.Status.READY


def send_ready_email(export):
    user = export.user
    url = absolute_url(reverse("personaldata-export-download", args=[export.code]))
    build_email(
        "data-export-ready",
        {"user": user, "url": url, "expires": export.expires.astimezone(user.zone)},
        [user.email],
    ).send()


def tidy(now=None):
    """Expire downloads, ask again for lost builds, fail stuck ones, and purge deleted
    accounts whose farewells are settled. Return counts of each."""
    now = now or timezone.now()
    expired = DataExport.objects.filter(status=DataExport.Status.READY).expired(now)
    counts = {"expired": expired.count()}
    deletion.delete_exports(expired)
    lost = list(
        DataExport.objects.filter(
            status=DataExport.Status.QUEUED, created__lte=now - LOST_AFTER
        ).values_list("code", flat=True)
    )
    for code in lost:
        ask_for_build(code)
    counts["asked_again"] = len(lost)
    counts["stuck"] = DataExport.objects.filter(
        status=DataExport.Status.BUILDING, created__lte=now - STUCK_AFTER
    ).update(status=DataExport.Status.FAILED)
    counts["purged"] = deletion.purge_due(now)
    return counts
