from django.apps import AppConfig


class PersonalDataConfig(AppConfig):
    name = "personaldata"
    verbose_name = "Your data: export, import and account deletion"
    default_auto_field = "django.db.models.BigAutoField"
