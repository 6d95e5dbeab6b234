# Served at /plans/<code>/wall-chart/: the wall chart and its print layout.
from django.urls import path

from plans import views_wallchart

urlpatterns = [
    path("plans/<uuid:code>/wall-chart/", views_wallchart.wallchart, name="plans-wallchart"),
    path(
        "plans/<uuid:code>/wall-chart/print/",
        views_wallchart.wallchart_print,
        name="plans-wallchart-print",
    ),
]
