"""The site's own `require_POST`: a person who opens a form's address gets a page.

A form's address shows in the address bar after a refused answer is shown again (every
form here works without JavaScript), so a person may reload it with Enter, copy it, or
come back to it from their history: a GET. Django's `require_POST` answers that with an
empty 405, a blank screen. This one still answers 405, and says where the form is.
"""

from functools import wraps

from django.shortcuts import render
from django.urls import Resolver404, resolve


def require_POST(view):
    @wraps(view)
    def only_post(request, *args, **kwargs):
        if request.method != "POST":
            return method_not_allowed(request)
        return view(request, *args, **kwargs)

    only_post.post_only = True
    return only_post


def method_not_allowed(request):
    response = render(
        request, "405.html", {"back_url": nearest_page(request.path_info)}, status=405
    )
    response["Allow"] = "POST"
    return response


def nearest_page(path):
    """The closest address above `path` that shows a page (not another form's address):
    `/grow/<code>/obstacles/` gives the GROW sheet `/grow/<code>/`; at worst, `/`."""
    parts = path.strip("/").split("/")
    for end in range(len(parts) - 1, 0, -1):
        candidate = "/" + "/".join(parts[:end]) + "/"
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if not getattr(match.func, "post_only", False):
            return candidate
    return "/"
