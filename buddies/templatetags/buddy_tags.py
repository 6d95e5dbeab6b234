"""Template tags for other apps' pages: the planner's buddy notes on the dashboard, and the
people a buddy supports."""

from django import template

from buddies.access import invitations_for, supported_by
from buddies.models import Note
from buddies.receivers import buddies_to_tell
from careerplan.pagecache import valid_until

register = template.Library()

# The dashboard shows the latest notes only; older ones stay with their steps.
NOTES_SHOWN = 8


def buddy_notes_context(user, with_invitations=False):
    """Return the latest notes the planner's buddies sent (one query) and the open
    invitations to be someone's buddy (two queries)."""
    notes = list(
        Note.objects.for_planner(user)
        .with_state()
        .select_related("buddyship", "step", "step__plan")
        .order_by("-created", "-pk")[:NOTES_SHOWN]
    )
    invitations = []
    if with_invitations:
        invitations = list(invitations_for(user).order_by("-invite_expires", "pk"))
    for invitation in invitations:
        # An expired invitation leaves the page with no change to any row.
        valid_until(invitation.invite_expires)
    return {
        "notes": notes,
        "unseen_count": sum(1 for note in notes if note.is_new),
        "invitations": invitations,
        "show_invitations": with_invitations,
    }


@register.inclusion_tag("buddies/_notes.html", takes_context=True)
def buddy_notes(context, with_invitations=True):
    """{% load buddy_tags %}{% buddy_notes %}: the latest buddy notes and any invitation
    waiting for this person (three queries)."""
    user = context.get("user") or getattr(context.get("request"), "user", None)
    # In a page update (careerplan.htmx) only the notes are swapped, out of band.
    oob = context.get("oob", False)
    result = buddy_notes_context(user, with_invitations=with_invitations and not oob)
    result["csrf_token"] = context.get("csrf_token")
    result["oob"] = oob
    return result


@register.inclusion_tag("buddies/_supporting.html", takes_context=True)
def supported_people(context):
    """{% supported_people %}: links to the progress of each planner this person is an
    active buddy of (one query), so a buddy's home leads to the people they support."""
    user = context.get("user") or getattr(context.get("request"), "user", None)
    return {"supporting": list(supported_by(user))}


@register.filter
def has_buddy_to_tell(plan):
    """True if a buddy hears about this plan's commitments and checks up on its steps
    (buddies_to_tell): a page promises an email or a check-up only when someone gets it."""
    return buddies_to_tell(plan).exists()
