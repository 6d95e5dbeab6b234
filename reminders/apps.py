from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"

    def ready(self):
        from reminders import receivers  # noqa: F401  (connects the receivers)
        from reminders.kinds import register_kinds

        # The outbox sends the planner's reminders like every other email.
        register_kinds()
