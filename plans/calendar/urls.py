# Served at the site root: /calendar/ (the settings page and its two actions) and
# /calendar/<token>.ics (the feed a calendar app subscribes to).
from django.urls import path

from plans.calendar import views

urlpatterns = [
    path("calendar/", views.calendar_settings, name="plans-calendar"),
    path("calendar/on/", views.calendar_issue, name="plans-calendar-issue"),
    path("calendar/off/", views.calendar_off, name="plans-calendar-off"),
    path("calendar/<str:token>.ics", views.feed, name="plans-calendar-feed"),
]
