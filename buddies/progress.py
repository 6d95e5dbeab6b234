"""What a buddy's progress page shows, built in a fixed number of queries."""

from dataclasses import dataclass, field

from buddies.access import shared_plans
from journals.days import journal_days
from plans.charts.wallchart import CHART_FIELDS, build_wallchart
from plans.models import Plan, State, Step, step_state

RECENT_COMPLETIONS = 8
OVERDUE_SHOWN = 20
NOTES_SHOWN = 20
# Journal days shown to a buddy the planner shared the journal with.
JOURNAL_DAYS = 14
# What the page reads of each step: the wall chart's fields, and which plan it is in.
STEP_FIELDS = (*CHART_FIELDS, "plan_id")


@dataclass
class PlanProgress:
    plan: object
    steps: list = field(default_factory=list)
    chart: object = None
    undated: list = field(default_factory=list)


def build_progress(buddyship):
    """Return the progress page's context for one buddyship.

    1. The shared plans (one query).
    2. Their steps (one query, as named rows: plain tuples load several times faster than
       model instances on a long plan), and each plan's wall chart built from them.
    3. Recent completions and overdue steps, picked from those steps in memory.
    4. This buddy's own notes (one query): other buddies' cheers stay between them and
       the planner.
    5. The journal's latest days (three queries), only if the planner shared it with
       this buddy; the steps listed there are only those of the shared plans.
    """
    planner = buddyship.planner
    today = planner.local_today()
    plans = list(shared_plans(buddyship))
    by_plan = {plan.pk: PlanProgress(plan) for plan in plans}
    rows = (
        Step.objects.filter(plan__in=[plan.pk for plan in plans])
        .order_by("due_date", "position", "pk")
        .values_list(*STEP_FIELDS, named=True)
    )
    done, overdue = [], []
    for step in rows:
        progress = by_plan[step.plan_id]
        if step.due_date is None:
            # Undated steps still need breaking down: the chart lists them apart.
            progress.undated.append(step)
            continue
        progress.steps.append(step)
        state = step_state(step, today)
        if state == State.DONE and step.completed:
            done.append(step)
        elif state == State.OVERDUE and progress.plan.status == Plan.Status.ACTIVE:
            # An archived plan is paused: its old dates are not "not done yet".
            overdue.append(step)
    for progress in by_plan.values():
        progress.chart = build_wallchart(
            [*progress.steps, *progress.undated],
            today,
            zone=planner.zone,
            target_date=progress.plan.target_date,
        )
    done.sort(key=lambda step: step.completed, reverse=True)
    notes = list(
        buddyship.buddy_notes.with_state().select_related("step").order_by("-created")[:NOTES_SHOWN]
    )
    journal = None
    if buddyship.share_journal:
        journal, _older = journal_days(planner, limit=JOURNAL_DAYS, plans=plans)
    return {
        "journal_days": journal,
        "buddyship": buddyship,
        "planner": planner,
        "today": today,
        "plans": list(by_plan.values()),
        "recent_done": done[:RECENT_COMPLETIONS],
        "overdue": overdue[:OVERDUE_SHOWN],
        "overdue_count": len(overdue),
        "notes": notes,
    }
