# Served under /buddies/.
from django.urls import path

from buddies import views

urlpatterns = [
    path("", views.buddy_list, name="buddies-list"),
]
