# Served under /accounts/ beside allauth's own pages.
from django.urls import path

from accounts import views

urlpatterns = [
    path("profile/", views.profile, name="accounts-profile"),
    # allauth's page, answering "Send the link again" even when it sends nothing. It
    # keeps allauth's name (account_email) by coming first, at the same address.
    path("email/", views.EmailView.as_view()),
]
