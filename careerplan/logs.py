"""How the log reads: a request a client got wrong is one line, not a traceback."""

import logging


class ClientErrorsInOneLine(logging.Filter):
    """Drop the traceback from django.request's record of a 4xx answer.

    A bad date in a query string or a tampered link is answered 400 by raising BadRequest,
    and Django logs the exception with its stack: a burst of them would bury the errors
    worth reading. The line (status, path) stays; 5xx records keep their traceback.
    """

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if record.name == "django.request" and status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
