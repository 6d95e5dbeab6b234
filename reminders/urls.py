# Served under /reminders/: the Reminders page and push subscriptions (signed in), and
# under /reminders/m/ the pages a reminder's links open (no login; a signed token each).
from django.urls import path

from reminders import views, views_mail

urlpatterns = [
    path("", views.reminder_settings, name="reminders-settings"),
    path("push/", views.push_subscribe, name="reminders-push-subscribe"),
    path("push/<uuid:code>/delete/", views.push_delete, name="reminders-push-delete"),
    path("m/d/<str:token>/", views_mail.mail_done, name="reminders-mail-done"),
    path("m/u/<str:token>/", views_mail.mail_unsubscribe, name="reminders-mail-unsubscribe"),
]
