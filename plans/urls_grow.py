# GROW sheets: a plan's run-throughs under /plans/<code>/grow/, one sheet and its parts under
# /grow/<code>/.
from django.urls import path

from plans import views_grow

urlpatterns = [
    path("plans/<uuid:code>/grow/", views_grow.grow_list, name="plans-grow-list"),
    path("plans/<uuid:code>/grow/new/", views_grow.grow_start, name="plans-grow-start"),
    path(
        "plans/<uuid:code>/grow/blank/print/",
        views_grow.grow_print_blank,
        name="plans-grow-print-blank",
    ),
    path("grow/<uuid:code>/", views_grow.grow_detail, name="plans-grow-detail"),
    path("grow/<uuid:code>/print/", views_grow.grow_print, name="plans-grow-print"),
    path("grow/<uuid:code>/goal/", views_grow.grow_goal, name="plans-grow-goal"),
    path("grow/<uuid:code>/reality/", views_grow.grow_reality, name="plans-grow-reality"),
    path("grow/<uuid:code>/obstacles/", views_grow.obstacle_add, name="plans-grow-obstacle-add"),
    path("grow/<uuid:code>/options/", views_grow.option_add, name="plans-grow-option-add"),
    path("grow/<uuid:code>/commit/", views_grow.grow_commit, name="plans-grow-commit"),
    path(
        "grow/obstacles/<uuid:code>/edit/",
        views_grow.obstacle_edit,
        name="plans-grow-obstacle-edit",
    ),
    path(
        "grow/obstacles/<uuid:code>/delete/",
        views_grow.obstacle_delete,
        name="plans-grow-obstacle-delete",
    ),
    path("grow/options/<uuid:code>/edit/", views_grow.option_edit, name="plans-grow-option-edit"),
    path(
        "grow/options/<uuid:code>/delete/",
        views_grow.option_delete,
        name="plans-grow-option-delete",
    ),
]
