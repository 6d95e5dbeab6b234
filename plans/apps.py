from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"

    def ready(self):
        from plans import receivers  # noqa: F401  (connects the receivers)
