"""A form's address opened as a page (a reload with Enter, a copied link, the history)
answers 405 with a page that says so and leads to the page the form is on, never a
blank screen; nothing changes."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from careerplan.http import nearest_page
from plans.models import Obstacle
from tests.factories import GrowSessionFactory, StepFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "buddies", "careerplan", "journals", "personaldata", "plans", "reminders"]

pytestmark = pytest.mark.django_db


def assert_page_leading_to(response, url):
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "Nothing to show at this address" in response.text
    assert f'href="{url}">Go to the page the form is on<' in response.text


def test_a_grow_sheet_s_form_address_leads_back_to_the_sheet(owner_client, plan):
    session = GrowSessionFactory(plan=plan, number=1)
    response = owner_client.get(reverse("plans-grow-obstacle-add", args=[session.code]))
    assert_page_leading_to(response, f"/grow/{session.code}/")
    assert not Obstacle.objects.exists()


def test_a_step_s_form_address_leads_back_to_the_step(owner_client, plan):
    step = StepFactory(plan=plan, title="Call Maya")
    for name in ("plans-step-done", "plans-step-reschedule", "plans-step-drop"):
        response = owner_client.get(reverse(name, args=[step.code]))
        assert_page_leading_to(response, f"/steps/{step.code}/")
    step.refresh_from_db()
    assert step.status == step.Status.OPEN


def test_the_tree_s_form_address_leads_to_the_tree(owner_client, plan):
    response = owner_client.get(reverse("plans-tree-goal-date", args=[plan.code]))
    assert_page_leading_to(response, f"/plans/{plan.code}/tree/")


def test_the_nearest_page_passes_over_other_form_addresses():
    # /dashboard/start/ is the address of "Start anywhere"'s form, not a page.
    assert nearest_page("/dashboard/start/") == "/dashboard/"
    assert nearest_page("/dashboard/start/more/") == "/dashboard/"
    # /steps/ is no address at all.
    assert nearest_page("/steps/add/") == "/"
    assert nearest_page("/no/such/address/") == "/"


def test_a_stranger_learns_nothing_from_the_page(client, plan):
    """Signed out, the address still needs a sign-in first, as every planner's page does."""
    step = StepFactory(plan=plan)
    response = client.get(reverse("plans-step-done", args=[step.code]))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_no_view_uses_django_s_require_post():
    """careerplan.http.require_POST stands in for it everywhere."""
    wrong = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if re.search(r"django\.views\.decorators\.http import [^\n]*\brequire_POST\b", source):
                wrong.append(str(path.relative_to(ROOT)))
            if re.search(r'require_http_methods\(\["POST"\]\)', source):
                wrong.append(f'{path.relative_to(ROOT)}: require_http_methods(["POST"])')
    assert wrong == []
