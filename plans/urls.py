# Served at the site root: /dashboard/, /plans/..., /steps/..., /grow/..., /tree/...
# Each area keeps its own urls module so that they can grow apart.
from django.urls import include, path

urlpatterns = [
    path("", include("plans.urls_plans")),
    path("", include("plans.urls_steps")),
    path("", include("plans.urls_grow")),
    path("", include("plans.urls_tree")),
    path("", include("plans.urls_wallchart")),
    path("", include("plans.calendar.urls")),
]
