"""The cheer form offers the steps near today, yet accepts any step shared with the buddy."""

import datetime

from buddies.forms import CheerForm
from plans.models import Step
from tests.factories import PlanFactory


def test_cheer_form_offers_at_most_thirty_steps_near_today_but_accepts_any_shared(db):
    plan = PlanFactory()
    today = plan.owner.local_today()
    Step.objects.bulk_create(
        Step(plan=plan, title=f"Step {i}", due_date=today + datetime.timedelta(days=i // 2 - 50))
        for i in range(200)
    )
    form = CheerForm(plans=[plan], today=today)
    offered = [value for value, _label in form.fields["step"].choices if value]
    assert len(offered) == CheerForm.CHOICE_LIMIT
    far = plan.steps.order_by("due_date").first()
    assert far.due_date < today - CheerForm.CHOICE_WINDOW
    bound = CheerForm({"step": str(far.code), "text": "Well done"}, plans=[plan], today=today)
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["step"] == far
