"""The one place that decides who may reach a journal entry: its owner, nobody else.

Entries are found through `JournalEntry.objects.for_owner(request.user)`, so another
person's code finds nothing and gets 404 (never 403, which would confirm it exists).
Pages without an object in the URL (today, the calendar, search, exports) read only the
signed-in person's own journal.
"""

from careerplan.access import get_by_code
from journals.models import JournalEntry


def get_entry_for_owner(request, code):
    return get_by_code(JournalEntry.objects.for_owner(request.user), code=code)
