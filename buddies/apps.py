from django.apps import AppConfig


class BuddiesConfig(AppConfig):
    name = "buddies"

    def ready(self):
        # Step changes become buddy emails (commitments, celebrations, answers).
        from buddies import receivers  # noqa: F401
