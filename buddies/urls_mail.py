# Pages reached from an email's links: one-click answers and RFC 8058 unsubscribe.
# They need no login; a signed token authorises each. Served under /buddies/m/.
from django.urls import path

from buddies import views_mail

urlpatterns = [
    path("a/<str:token>/", views_mail.mail_action, name="buddies-mail-action"),
    path("u/<str:token>/", views_mail.mail_unsubscribe, name="buddies-mail-unsubscribe"),
]
