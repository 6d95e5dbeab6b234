"""Finding an object by the code in its URL or a form, for the access helpers of each app
(plans.access, buddies.access, journals.access, ...), which scope the query to who may
see it."""

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404


def get_by_code(queryset, code, **filters):
    """Return the row of `queryset` whose `code` is `code`, or raise Http404.

    A code that is not a UUID finds nothing, like a stranger's: URL patterns check their
    own codes, but a code posted in a form reaches the query as typed, and the database
    would refuse it (a 500) rather than find nothing.
    """
    try:
        code = uuid.UUID(str(code))
    except ValueError:
        raise Http404("No such object.") from None
    return get_object_or_404(queryset, code=code, **filters)
