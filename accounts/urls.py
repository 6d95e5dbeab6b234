# Served under /accounts/ beside allauth's own pages.
from django.urls import path

from accounts import views

urlpatterns = [
    path("profile/", views.profile, name="accounts-profile"),
]
