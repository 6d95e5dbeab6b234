"""Deleting an account: closed at once, purged once its buddies have been told.

There is no grace period (docs/decisions.md, "Deleting an account"). Closing is one
transaction that makes the account gone to everyone: deactivated, signed out everywhere,
every buddyship ended with its links, calendar feeds and downloads deleted, and a farewell
email written to each buddy (or, for a buddy, a note to each planner) in the outbox.
Those rows hang on the buddyships, which are deleted with the account, so the purge waits
until the sender has settled them (or PURGE_AFTER has passed) before deleting the rows.
"""

from datetime import timedelta
from importlib import import_module

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from buddies.models import FORMER_BUDDY, Buddyship, Note, Notification, ShareLink
from buddies.outbox import messages, rows
from careerplan import versions
from careerplan.mail import FileAndConsoleBackend
from personaldata.models import Closure, DataExport
from personaldata.registry import BY_LABEL, rows_of
from plans.calendar.models import CalendarFeed

# The longest a closed account's rows wait for its farewell emails: the sender gives up
# on a row after eight attempts over about two hours, so a day is ample.
PURGE_AFTER = timedelta(days=1)
FAREWELL_KINDS = [Notification.Kind.FAREWELL, Notification.Kind.BUDDY_LEFT]


def close_account(user, now=None):
    """Close the account now; return False if it was already closed.

    1. Lock the account row and deactivate it, with an unusable password.
    2. As a planner: end every invitation and buddyship (their private links die with
       them) and write a farewell email to each active buddy.
    3. As a buddy: leave every buddyship and write the planner a note by email.
    4. Delete calendar feeds and downloads, and every session of the account.
    5. Record the closure, for the purge.
    """
    now = now or timezone.now()
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        if Closure.objects.filter(user=user).exists():
            return False
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
        for buddyship in Buddyship.objects.live().filter(planner=user).select_related("user"):
            # Told only if the buddy is active and their own account still open.
            told = buddyship.status == Buddyship.Status.ACTIVE and (
                buddyship.user_id is None or buddyship.user.is_active
            )
            if buddyship.revoke(now) and told:
                rows.enqueue(Notification.Kind.FAREWELL, buddyship, rows.farewell_key())
        # Leaving writes the planner's email (buddies.receivers.tell_planner).
        for buddyship in Buddyship.objects.live().filter(user=user).select_related("planner"):
            buddyship.leave(now, closing=True)
        CalendarFeed.objects.filter(owner=user).delete()
        delete_exports(DataExport.objects.filter(user=user))
        Closure.objects.create(user=user, requested=now, purge_after=now + PURGE_AFTER)
        end_sessions(user)
    return True


def end_sessions(user):
    """Delete every stored session of the account (signed out on every device).

    Sessions do not name their user in a column, so each live one is decoded; a
    deactivated account could not use one anyway (the authentication backend refuses
    it). Each is deleted through the session engine, so a copy it keeps in the shared
    cache goes with the row.
    """
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session_key in doomed:
        store(session_key).delete()


def delete_exports(exports):
    for export in exports:
        export.delete_file()
    exports.delete()


def purge_due(now=None):
    """Purge every closed account whose farewells are settled or whose wait is over;
    return how many."""
    now = now or timezone.now()
    purged = 0
    for closure in Closure.objects.select_related("user").order_by("requested"):
        if closure.purge_after <= now or not farewells_pending(closure.user).exists():
            purge(closure.user)
            purged += 1
    return purged


def farewells_pending(user):
    """The closing account's farewell rows the sender has not settled yet."""
    return Notification.objects.filter(
        kind__in=FAREWELL_KINDS,
        state__in=[Notification.State.PENDING, Notification.State.SENDING],
        buddyship__in=Buddyship.objects.filter(planner=user) | Buddyship.objects.filter(user=user),
    )


def purge(user):
    """Delete every row of the account (registry: every table that refers to it).

    1. As a buddy, what the person wrote and was sent goes: their notes, the emails to
       them and their links; the planner's buddyship row stays, without their name or
       address, so the planner's list still says a buddy left.
    2. The account itself, and with it (foreign keys cascade) every plan, step, GROW
       sheet, journal entry, buddyship as a planner with its notes, links and emails,
       address, authenticator, download and the closure.
    3. Their sessions, the files of any download under var/exports/, and the emails the
       embedded mail folder (var/mail/) holds to, from or about them.
    """
    as_buddy = Buddyship.objects.filter(user=user)
    written = Notification.objects.filter(
        Q(user=user) | Q(buddyship__planner=user) | Q(buddyship__in=as_buddy)
    )
    message_ids = [messages.message_id(row) for row in written.only("code")]
    addresses = [
        user.email,
        *EmailAddress.objects.filter(user=user).values_list("email", flat=True),
        *as_buddy.values_list("email", flat=True),
    ]
    delete_rows(user, as_buddy)
    # Files are not rolled back with rows: they go once the rows have.
    FileAndConsoleBackend.forget(message_ids, addresses)


@transaction.atomic
def delete_rows(user, as_buddy):
    # First, while every row of theirs still names them: the admin's history of changes
    # to the person's rows (a buddyship they were in is anonymised below, not deleted).
    rows_of(BY_LABEL["admin.LogEntry"], user).delete()
    # The planners' pages name the buddy; the update below sends no signal.
    versions.changed(*as_buddy)
    Note.objects.filter(buddyship__in=as_buddy).delete()
    Notification.objects.filter(buddyship__in=as_buddy).delete()
    ShareLink.objects.filter(buddyship__in=as_buddy).delete()
    as_buddy.update(user=None, email="", name=FORMER_BUDDY, message="")
    delete_exports(DataExport.objects.filter(user=user))
    end_sessions(user)
    user.delete()
