"""A long unbroken word (a pasted URL, a name with no spaces) wraps wherever a planner's
own text appears, so no page scrolls sideways on a phone, with or without JavaScript."""

import pytest
from django.urls import reverse
from django.utils import timezone

from buddies.models import Buddyship
from tests.e2e.pages import log_in, settled
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG_TITLE = "L" * 200
LONG_GOAL = "G" * 300


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_long_unbroken_title_never_makes_a_page_wider_than_a_phone(
    browser, live_server, javascript
):
    planner = UserFactory(display_name="W" * 60, email="wide@example.com", tz="Europe/Paris")
    plan = PlanFactory(owner=planner, goal=LONG_GOAL)
    step = StepFactory(
        plan=plan,
        title=LONG_TITLE,
        notes="N" * 500,
        due_date=planner.local_today(),
    )
    buddy = UserFactory(display_name="Bo Buddy", email="bo@example.com")
    buddyship = Buddyship.objects.create(
        planner=planner,
        user=buddy,
        email=buddy.email,
        name=buddy.display_name,
        status=Buddyship.Status.ACTIVE,
        accepted=timezone.now(),
    )
    buddyship.plans.set([plan])

    context = browser.new_context(
        base_url=live_server.url,
        timezone_id="Europe/Paris",
        viewport=PHONE,
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, planner.email)
        page.goto("/dashboard/")
        page.get_by_role("button", name=f"Mark done: {LONG_TITLE}").first.click()
        if javascript:
            settled(page)
        else:
            page.wait_for_load_state()
        page.locator("#messages").get_by_text(f"Done: {LONG_TITLE}").wait_for()
        assert page_width(page) <= PHONE["width"], "dashboard after Done"

        widths = {}
        for name, url in [
            ("plan", reverse("plans-detail", args=[plan.code])),
            ("step", reverse("plans-step-detail", args=[step.code])),
            ("wall chart", reverse("plans-wallchart", args=[plan.code])),
            ("tree", reverse("plans-tree", args=[plan.code])),
            ("journal", reverse("journals-today")),
        ]:
            page.goto(url)
            widths[name] = page_width(page)

        page.context.clear_cookies()
        log_in(page, buddy.email)
        page.goto(reverse("buddies-progress", args=[buddyship.code]))
        widths["buddy's progress page"] = page_width(page)
    finally:
        context.close()

    too_wide = {name: width for name, width in widths.items() if width > PHONE["width"]}
    assert too_wide == {}
