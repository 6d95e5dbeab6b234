from django.apps import AppConfig


class CareerplanConfig(AppConfig):
    """Site-wide pieces that belong to no single app: heartbeat, status page, errors."""

    name = "careerplan"
    verbose_name = "careerplan site"

    def ready(self):
        from careerplan import receivers

        receivers.connect()
