from django.utils import timezone


class TimezoneMiddleware:
    """Render dates and times in the signed-in person's own zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class InvalidFormStatusMiddleware:
    """Answer 422 when a POST re-renders a form with errors (allauth's views answer 200).

    A 4xx tells browsers, tests and monitoring that the input was refused; the page still
    shows each error next to its field and keeps what was typed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        context = response.context_data or {}
        form = context.get("form")
        if (
            request.method == "POST"
            and response.status_code == 200
            and form is not None
            and getattr(form, "errors", None)
        ):
            response.status_code = 422
        return response
