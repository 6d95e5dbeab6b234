from django.apps import AppConfig


class BuddiesConfig(AppConfig):
    name = "buddies"

    def ready(self):
        # Step and buddyship changes become buddy emails (invitations, links,
        # commitments, celebrations, answers).
        from buddies import receivers  # noqa: F401
