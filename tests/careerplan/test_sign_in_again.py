"""An htmx action by someone signed out (in another tab, or their session ended) takes
the browser to the sign-in page and back to the page it was on, instead of swapping the
sign-in page into the pressed step's row; nothing is done."""

import pytest
from django.urls import reverse

from plans.models import Step
from tests.factories import StepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def step(plan):
    return StepFactory(plan=plan, title="Call Maya")


def done(client, step, current_url):
    return client.post(
        reverse("plans-step-done", args=[step.code]),
        {"from": "dashboard"},
        headers={"HX-Request": "true", "HX-Current-URL": current_url},
    )


def test_a_signed_out_htmx_action_navigates_to_sign_in_and_back_to_the_page(client, step):
    response = done(client, step, "http://testserver/dashboard/")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fdashboard%2F"
    assert response.content == b""
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN


def test_the_way_back_is_never_another_site(client, step):
    response = done(client, step, "https://elsewhere.example/dashboard/")
    assert response["HX-Redirect"] == "/accounts/login/?next=%2F"


def test_a_signed_out_form_without_javascript_is_redirected_as_before(client, step):
    response = client.post(reverse("plans-step-done", args=[step.code]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_signed_in_htmx_action_is_untouched(owner_client, step):
    response = done(owner_client, step, "http://testserver/dashboard/")
    assert response.status_code == 200
    assert "HX-Redirect" not in response
    step.refresh_from_db()
    assert step.status == Step.Status.DONE
