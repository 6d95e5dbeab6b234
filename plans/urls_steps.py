from django.urls import path

from plans import views_steps

urlpatterns = [
    path("plans/<uuid:code>/steps/add/", views_steps.step_add, name="plans-step-add"),
    path("steps/add/", views_steps.step_quick_add, name="plans-step-quick-add"),
    path("steps/<uuid:code>/", views_steps.step_detail, name="plans-step-detail"),
    path("steps/<uuid:code>/edit/", views_steps.step_edit, name="plans-step-edit"),
    path("steps/<uuid:code>/done/", views_steps.step_done, name="plans-step-done"),
    path("steps/<uuid:code>/reopen/", views_steps.step_reopen, name="plans-step-reopen"),
    path(
        "steps/<uuid:code>/reward-enjoyed/",
        views_steps.step_reward_enjoyed,
        name="plans-step-reward-enjoyed",
    ),
    path(
        "steps/<uuid:code>/reschedule/", views_steps.step_reschedule, name="plans-step-reschedule"
    ),
    path("steps/<uuid:code>/drop/", views_steps.step_drop, name="plans-step-drop"),
]
