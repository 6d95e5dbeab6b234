from django.apps import AppConfig


class CareerplanConfig(AppConfig):
    """Site-wide pieces that belong to no single app: heartbeat, status page, errors."""

    name = "careerplan"
    verbose_name = "careerplan site"

    def ready(self):
        # Connect the receivers: what moves people's versions, and the request's prefetch.
        from careerplan import prefetch, receivers  # noqa: F401

        receivers.connect()
