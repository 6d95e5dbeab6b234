"""The cheer form offers the steps near today, grouped done and still to do, yet accepts
any step shared with the buddy that was not dropped."""

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
    offered = [value for _group, options in form.fields["step"].choices[1:] for value, _ in options]
    assert len(offered) == CheerForm.CHOICE_LIMIT
    far = plan.steps.order_by("due_date").first()
    assert far.due_date < today - CheerForm.CHOICE_WINDOW
    bound = CheerForm({"step": str(far.code), "text": "Well done"}, plans=[plan], today=today)
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["step"] == far


def test_cheer_form_groups_done_and_open_steps_and_leaves_out_dropped_ones(db):
    plan = PlanFactory()
    today = plan.owner.local_today()
    done = plan.add_step("Read the trade magazine", today - datetime.timedelta(days=1))
    done.mark_done()
    plan.add_step("Ring the landlord", today - datetime.timedelta(days=2))
    plan.add_step("Visit three bookshops", today + datetime.timedelta(days=3))
    dropped = plan.add_step("Update LinkedIn headline", today + datetime.timedelta(days=1))
    dropped.mark_dropped("Not needed")

    form = CheerForm(plans=[plan], today=today)

    groups = {
        label: [text for _value, text in options]
        for label, options in form.fields["step"].choices[1:]
    }
    assert list(groups) == ["Done", "Still to do"]
    assert [text.split(" (")[0] for text in groups["Done"]] == ["Read the trade magazine"]
    assert [text.split(" (")[0] for text in groups["Still to do"]] == [
        "Ring the landlord",
        "Visit three bookshops",
    ]


def test_cheer_form_refuses_a_dropped_step(db):
    plan = PlanFactory()
    today = plan.owner.local_today()
    dropped = plan.add_step("Update LinkedIn headline", today)
    dropped.mark_dropped()

    form = CheerForm({"step": str(dropped.code), "text": "Go!"}, plans=[plan], today=today)

    assert not form.is_valid()
    assert "that one was dropped" in form.errors["step"][0]
