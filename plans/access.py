"""The one place that decides who may reach a plan or a step.

Every view gets its objects through these helpers: the query is scoped to the owner, so a
stranger's request finds nothing and gets 404 (never 403, which would confirm the object
exists). Read-only access for buddies lives in buddies.access and reuses these querysets.
"""

from careerplan.access import get_by_code
from plans.models import GrowSession, Obstacle, Option, Plan, Step


def get_plan_for_owner(request, code):
    return get_by_code(Plan.objects.for_owner(request.user), code=code)


def get_step_for_owner(request, code):
    return get_by_code(
        Step.objects.select_related("plan", "plan__owner").filter(plan__owner=request.user),
        code=code,
    )


def get_grow_session_for_owner(request, code):
    return get_by_code(
        GrowSession.objects.select_related("plan").filter(plan__owner=request.user),
        code=code,
    )


def get_obstacle_for_owner(request, code):
    return get_by_code(
        Obstacle.objects.select_related("session__plan").filter(session__plan__owner=request.user),
        code=code,
    )


def get_option_for_owner(request, code):
    return get_by_code(
        Option.objects.select_related("session__plan__owner", "step").filter(
            session__plan__owner=request.user
        ),
        code=code,
    )
