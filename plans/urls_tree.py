# Reverse engineering: /plans/<plan code>/tree/... for the tree and its goal,
# /tree/<step code>/... for one step of it.
from django.urls import path

from plans import views_tree

urlpatterns = [
    path("plans/<uuid:code>/tree/", views_tree.tree_page, name="plans-tree"),
    path("plans/<uuid:code>/tree/date/", views_tree.goal_commit, name="plans-tree-goal-date"),
    path(
        "plans/<uuid:code>/tree/answers/",
        views_tree.goal_answers,
        name="plans-tree-goal-answers",
    ),
    path("tree/<uuid:code>/date/", views_tree.step_commit, name="plans-tree-step-date"),
    path("tree/<uuid:code>/answers/", views_tree.step_answers, name="plans-tree-step-answers"),
    path("tree/<uuid:code>/edit/", views_tree.step_edit, name="plans-tree-step-edit"),
    path("tree/<uuid:code>/move/", views_tree.step_move, name="plans-tree-step-move"),
    path("tree/<uuid:code>/reorder/", views_tree.step_reorder, name="plans-tree-step-reorder"),
    path("tree/<uuid:code>/delete/", views_tree.step_delete, name="plans-tree-step-delete"),
]
