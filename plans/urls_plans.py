from django.urls import path

from plans import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="plans-dashboard"),
    path("plans/", views.plan_list, name="plans-list"),
]
