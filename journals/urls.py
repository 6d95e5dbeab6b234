# Served under /journal/.
from django.urls import path

from journals import views

urlpatterns = [
    path("", views.today, name="journals-today"),
]
