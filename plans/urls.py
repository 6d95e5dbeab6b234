# Served at the site root: the dashboard at /dashboard/, plans under /plans/, one step
# under /steps/, a GROW sheet and its parts under /grow/, a tree step under /tree/, and
# the calendar feeds under /calendar/.
from django.urls import path

from plans import views
from plans.calendar import views as calendar
from plans.charts import views as charts
from plans.grow import views as grow
from plans.steps import views as steps
from plans.tree import views as tree

urlpatterns = [
    # The dashboard and plans.
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
    # Steps.
    path("plans/<uuid:code>/steps/add/", steps.step_add, name="plans-step-add"),
    path("steps/add/", steps.step_quick_add, name="plans-step-quick-add"),
    path("steps/<uuid:code>/", steps.step_detail, name="plans-step-detail"),
    path("steps/<uuid:code>/edit/", steps.step_edit, name="plans-step-edit"),
    path("steps/<uuid:code>/done/", steps.step_done, name="plans-step-done"),
    path("steps/<uuid:code>/reopen/", steps.step_reopen, name="plans-step-reopen"),
    path(
        "steps/<uuid:code>/reward-enjoyed/",
        steps.step_reward_enjoyed,
        name="plans-step-reward-enjoyed",
    ),
    path("steps/<uuid:code>/reschedule/", steps.step_reschedule, name="plans-step-reschedule"),
    path("steps/<uuid:code>/drop/", steps.step_drop, name="plans-step-drop"),
    # GROW sheets: a plan's run-throughs, then one sheet and its parts.
    path("plans/<uuid:code>/grow/", grow.grow_list, name="plans-grow-list"),
    path("plans/<uuid:code>/grow/new/", grow.grow_start, name="plans-grow-start"),
    path(
        "plans/<uuid:code>/grow/blank/print/",
        grow.grow_print_blank,
        name="plans-grow-print-blank",
    ),
    path("grow/<uuid:code>/", grow.grow_detail, name="plans-grow-detail"),
    path("grow/<uuid:code>/print/", grow.grow_print, name="plans-grow-print"),
    path("grow/<uuid:code>/goal/", grow.grow_goal, name="plans-grow-goal"),
    path("grow/<uuid:code>/reality/", grow.grow_reality, name="plans-grow-reality"),
    path("grow/<uuid:code>/obstacles/", grow.obstacle_add, name="plans-grow-obstacle-add"),
    path("grow/<uuid:code>/options/", grow.option_add, name="plans-grow-option-add"),
    path("grow/<uuid:code>/commit/", grow.grow_commit, name="plans-grow-commit"),
    path("grow/obstacles/<uuid:code>/edit/", grow.obstacle_edit, name="plans-grow-obstacle-edit"),
    path(
        "grow/obstacles/<uuid:code>/delete/",
        grow.obstacle_delete,
        name="plans-grow-obstacle-delete",
    ),
    path("grow/options/<uuid:code>/edit/", grow.option_edit, name="plans-grow-option-edit"),
    path("grow/options/<uuid:code>/delete/", grow.option_delete, name="plans-grow-option-delete"),
    # Reverse engineering: the tree and its goal, then one step of it.
    path("plans/<uuid:code>/tree/", tree.tree_page, name="plans-tree"),
    path("plans/<uuid:code>/tree/date/", tree.goal_commit, name="plans-tree-goal-date"),
    path("plans/<uuid:code>/tree/answers/", tree.goal_answers, name="plans-tree-goal-answers"),
    path("tree/<uuid:code>/", tree.node_action, name="plans-tree-step"),
    path("tree/<uuid:code>/date/", tree.step_commit, name="plans-tree-step-date"),
    path("tree/<uuid:code>/answers/", tree.step_answers, name="plans-tree-step-answers"),
    path("tree/<uuid:code>/edit/", tree.step_edit, name="plans-tree-step-edit"),
    path("tree/<uuid:code>/move/", tree.step_move, name="plans-tree-step-move"),
    path("tree/<uuid:code>/reorder/", tree.step_reorder, name="plans-tree-step-reorder"),
    path("tree/<uuid:code>/delete/", tree.step_delete, name="plans-tree-step-delete"),
    # The wall chart and its print layout.
    path("plans/<uuid:code>/wall-chart/", charts.wallchart, name="plans-wallchart"),
    path(
        "plans/<uuid:code>/wall-chart/print/",
        charts.wallchart_print,
        name="plans-wallchart-print",
    ),
    # Calendar feeds: the settings page, and the feed a calendar app subscribes to.
    path("calendar/", calendar.calendar_settings, name="plans-calendar"),
    path("calendar/on/", calendar.calendar_issue, name="plans-calendar-issue"),
    path("calendar/off/", calendar.calendar_off, name="plans-calendar-off"),
    path("calendar/<str:token>.ics", calendar.feed, name="plans-calendar-feed"),
]
