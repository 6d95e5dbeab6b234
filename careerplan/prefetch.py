"""One round trip to the shared cache for what a signed-in request reads first.

A signed-in request reads its session; then its person's version and cached row
(accounts.backends); then, for a page, the cached page (careerplan.pagecache). Each was
a round trip to Redis, and each round trip cost a sync worker more than all of Django's
own work on a bare request (bench/README.md). So once a process has seen a session, it
asks for all three with the session, in one call.

A session's person never changes: its key is replaced at every sign-in and sign-out. So
a process may remember whose a key is (`hint`). What it reads on that hint is used only
if the session read in the same call names the same person (accounts.sessions), and only
in this request: everything is forgotten when the next request starts.
"""

import contextvars
import threading
from collections import OrderedDict

from django.core.handlers.wsgi import get_path_info, get_script_name
from django.core.signals import request_started
from django.dispatch import receiver

# Sessions this process remembers the person of: a few hours of a busy server's people.
HINTS = 10_000

_hints = OrderedDict()
_hints_lock = threading.Lock()  # a threaded worker's requests share the hints
_request = contextvars.ContextVar("prefetch_request", default=None)


class _Request:
    def __init__(self, environ):
        self.method = environ.get("REQUEST_METHOD", "").upper()
        self.htmx = environ.get("HTTP_HX_REQUEST") == "true"
        # As WSGIRequest makes request.path, so that both name the page alike.
        script_name = get_script_name(environ)
        path_info = get_path_info(environ) or "/"
        self.path = f"{script_name.rstrip('/')}/{path_info.replace('/', '', 1)}"
        self.query = environ.get("QUERY_STRING", "")
        self.found = {}


@receiver(request_started, dispatch_uid="prefetch-request-started")
def _begin(sender, environ=None, **kwargs):
    _request.set(_Request(environ or {}))


def current():
    """What the request being served asked for (method, path, query): None outside one."""
    return _request.get()


def hint(session_key):
    return _hints.get(session_key)


def remember(session_key, user_id):
    with _hints_lock:
        _hints[session_key] = user_id
        _hints.move_to_end(session_key)
        while len(_hints) > HINTS:
            _hints.popitem(last=False)


def keep(found):
    """Keep values read with this request's session, for the code that wants them."""
    request = _request.get()
    if request is not None:
        request.found.update(found)


def take(key):
    """Return (True, value) if `key` was read with this request's session (value None if
    it was absent), else (False, None)."""
    request = _request.get()
    if request is None or key not in request.found:
        return False, None
    return True, request.found.pop(key)
