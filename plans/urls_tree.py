from django.urls import path

from plans import views_stubs

urlpatterns = [
    path("plans/<uuid:code>/tree/", views_stubs.plan_section, name="plans-tree"),
]
