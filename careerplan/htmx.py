"""One way for an htmx action to keep the whole page true.

A change can show in several places of a page: a step checked off on the dashboard leaves
the next step, the lists due, the day's done steps and the plan's progress bar. Each page
names those places once, as partials of its own template with an id on their root
element; an action answers htmx with every one of them, swapped out of band by id, so no
part of the page is left behind. The same answer carries the messages into the page's
live region (`#messages`, aria-live), so a screen reader hears what happened, and says
where the keyboard focus goes now that the pressed control may have been replaced
(`cp-focus`, handled in static/js/app.js).

Without JavaScript the same views redirect back to the page, which renders the same
partials from the same context.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseClientRedirect, reswap, trigger_client_event

# A message's extra tag for words the live region says while the page shows them
# elsewhere (beside the box that changed): _messages.html keeps it out of sight.
SAID_ONLY = "said-only"


def page_update(request, template, fragments, context, *, main=None, focus=None, status=200):
    """Answer an htmx action with the page's dependent fragments.

    `template` is the page's template and `fragments` the names of its partials to swap
    out of band (each renders `hx-swap-oob` on its root when `oob` is true). `main`, a
    partial name, is swapped into the request's own target; without it nothing is, and the
    fragments carry the whole change. `focus` is a CSS selector for the element that takes
    the keyboard focus once everything has settled.
    """
    parts = []
    if main:
        parts.append(render_to_string(_partial(template, main), context, request))
    oob = {**context, "oob": True}
    parts += [render_to_string(_partial(template, name), oob, request) for name in fragments]
    # The messages context processor reads (and so consumes) this request's messages.
    parts.append(render_to_string("_messages.html", {"oob": True}, request))
    response = HttpResponse("".join(parts), status=status)
    if main is None:
        reswap(response, "none")
    if focus:
        trigger_client_event(response, "cp-focus", {"selector": focus}, after="settle")
    return response


def _partial(template, name):
    """`name` may be a partial of `template` or a full "template#partial" name."""
    return name if "#" in name else f"{template}#{name}"


class SignInAgainMiddleware:
    """Send the browser to the sign-in page when an htmx action finds the person signed
    out (in another tab, or the session ended), and back to the page they were on after.

    `login_required` answers with a redirect to the sign-in page; htmx would follow it
    inside the request and swap the whole sign-in page into the pressed step's row. The
    redirect becomes `HX-Redirect`, a full navigation, whose `next` is the page shown
    (`HX-Current-URL`, same origin only), not the action's address, which is no page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 302 or not getattr(request, "htmx", False):
            return response
        login = resolve_url(settings.LOGIN_URL)
        if not response["Location"].startswith(login + "?"):
            return response
        back = request.htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(f"{login}?{urlencode({'next': back})}")
