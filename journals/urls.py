# Served under /journal/. The journal is always the signed-in person's own: entries are
# addressed by their UUID code and found only among the owner's entries.
from django.urls import path

from journals import views

urlpatterns = [
    path("", views.today, name="journals-today"),
    path("write/", views.write, name="journals-write"),
    path("calendar/", views.calendar, name="journals-calendar"),
    path("search/", views.search, name="journals-search"),
    path("export.md", views.export_markdown, name="journals-export-markdown"),
    path("export.csv", views.export_csv, name="journals-export-csv"),
    path("<uuid:code>/", views.entry_detail, name="journals-entry"),
    path("<uuid:code>/edit/", views.entry_edit, name="journals-edit"),
    path("<uuid:code>/delete/", views.entry_delete, name="journals-delete"),
]
