from django.urls import path

from plans import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="plans-dashboard"),
    path("dashboard/start/", views.start_anywhere, name="plans-start-anywhere"),
    path("plans/", views.plan_list, name="plans-list"),
    path("plans/new/", views.plan_create, name="plans-create"),
    path("plans/smart-check/", views.smart_check, name="plans-smart-check"),
    path("plans/example/", views.example_load, name="plans-example-load"),
    path("plans/<uuid:code>/", views.plan_detail, name="plans-detail"),
    path("plans/<uuid:code>/edit/", views.plan_edit, name="plans-edit"),
    path("plans/<uuid:code>/archive/", views.plan_archive, name="plans-archive"),
    path("plans/<uuid:code>/delete/", views.plan_delete, name="plans-delete"),
]
