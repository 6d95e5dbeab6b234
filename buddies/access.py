"""The one place that decides who may see what of a planner's progress.

- The planner (owner) manages their buddyships and sees everything of their own plans
  through plans.access.
- An active buddy with an account sees the progress page of the plans shared with them,
  read-only, through their buddyship's code.
- A share-link holder sees that same progress page through the link's token, and nothing
  else: no plan page, no step, no journal page.
- Anyone else, including a buddy whose buddyship was revoked or who left, gets 404:
  never 403, which would confirm that the object exists.
- A deactivated account (closed by its owner, or by an operator) is gone: its plans are
  shown to no buddy and no link, and a deactivated buddy sees nothing
  (Buddyship.objects.active() and active_between_open_accounts hold the rule).

Plan pages (plans-detail, the wall chart, the tree, the GROW sheets) stay owner-only:
a buddy reaches a plan only through a progress page built here.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from buddies.models import Buddyship, ShareLink
from careerplan.access import get_by_code
from careerplan.tokens import hash_token
from plans.models import Plan

# How often a link's last use is written: often enough to show the planner the link is
# alive, rarely enough that reading the page is not a write each time.
LAST_USED_RESOLUTION = timedelta(hours=1)


def get_buddyship_for_planner(request, code):
    """Return one of the signed-in planner's own buddyships (any status)."""
    return get_by_code(Buddyship.objects.filter(planner=request.user), code=code)


class Ended(Http404):
    """The buddyship behind a buddy's page has ended, or its private link was turned off or
    replaced: still a 404 to every caller that does not ask, but the buddy's pages say
    which (410), since the person asking was once let in."""

    def __init__(self, buddyship, link=None):
        super().__init__("This buddyship has ended or this link no longer works.")
        self.buddyship = buddyship
        self.link = link


def get_buddyship_for_buddy(request, code):
    """Return an active buddyship whose buddy is the signed-in person; Ended if it was
    theirs and has ended, 404 for anyone else, and when the planner's account is
    deactivated or closing (gone)."""
    buddyship = get_by_code(
        Buddyship.objects.select_related("planner").filter(
            user=request.user, planner__is_active=True
        ),
        code=code,
    )
    if buddyship.status != Buddyship.Status.ACTIVE:
        raise Ended(buddyship)
    buddyship.user = request.user  # the buddy is the person asking: no query for them
    return buddyship


def get_buddyship_for_link(token, *, now=None):
    """Return the active buddyship behind a private progress link; Ended for a revoked or
    rotated link, or one whose buddy left or was revoked; 404 for an unknown token, and
    for a link between accounts one of which is deactivated or closing (gone)."""
    link = (
        ShareLink.objects.select_related("buddyship__planner", "buddyship__user")
        .filter(token_hash=hash_token(token), buddyship__planner__is_active=True)
        .first()
    )
    if link is None:
        raise Http404("This progress link is not valid.")
    if link.revoked is not None or link.buddyship.status != Buddyship.Status.ACTIVE:
        raise Ended(link.buddyship, link)
    if not link.buddyship.is_current:
        raise Http404("This progress link is not valid.")
    now = now or timezone.now()
    if link.last_used is None or link.last_used < now - LAST_USED_RESOLUTION:
        ShareLink.objects.filter(pk=link.pk).update(last_used=now)
    return link.buddyship


def shared_plans(buddyship):
    """Return the plans a buddyship may see: only the planner's own plans, even if a
    plan was somehow linked from another planner's row."""
    return (
        Plan.objects.filter(buddyships=buddyship, owner_id=buddyship.planner_id)
        .order_by("status", "-created")
        .distinct()
    )


def supported_by(user):
    """The active buddyships in which `user` is the buddy, with their planners, by name."""
    return (
        Buddyship.objects.active()
        .filter(user=user)
        .select_related("planner")
        .order_by("planner__display_name", "pk")
    )


# An account owns, for invitations, its own address and every address it verified,
# compared without case. Owning the address is what an invitation asks for; the emailed
# token proves it for a visitor, a verified address proves it for an account, so a buddy
# who signed up to accept finds the invitation waiting without hunting for the email again.


def addresses_of(user):
    """The addresses an account owns, lower-cased (one query)."""
    verified = user.emailaddress_set.filter(verified=True).values_list("email", flat=True)
    return {user.email.lower()} | {email.lower() for email in verified}


def accounts_owning(emails):
    """The ids of the accounts that own any of `emails` (addresses_of, read the other way
    round: two queries)."""
    emails = {email.lower() for email in emails if email}
    if not emails:
        return set()
    by_account = User.objects.annotate(lower=Lower("email")).filter(lower__in=emails)
    by_address = EmailAddress.objects.annotate(lower=Lower("email")).filter(
        lower__in=emails, verified=True
    )
    return set(by_account.values_list("pk", flat=True)) | set(
        by_address.values_list("user_id", flat=True)
    )


def invitations_for(user, now=None):
    """Open invitations addressed to one of the person's addresses (two queries)."""
    now = now or timezone.now()
    addresses = addresses_of(user)
    return (
        Buddyship.objects.filter(
            status=Buddyship.Status.INVITED, invite_expires__gt=now, planner__is_active=True
        )
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=addresses)
        .exclude(planner=user)
        .select_related("planner")
    )


def get_invitation(token):
    """Return the buddyship whose invitation this token is, whatever its state, or None.

    The caller explains the state (expired, answered, withdrawn); an unknown or tampered
    token, one replaced by a re-sent invitation, or one from a deactivated planner finds
    nothing.
    """
    if not token or len(token) > 100:
        return None
    return (
        Buddyship.objects.select_related("planner")
        .filter(invite_token_hash=hash_token(token), planner__is_active=True)
        .first()
    )
