"""A form sent from a page out of date is refused with the site's own page, which leads
back to the page the form came from."""

import pytest
from django.test import Client

from plans.models import Step
from tests.factories import StepFactory


@pytest.fixture
def csrf_client(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


def test_an_out_of_date_form_gets_a_page_that_says_so_and_changes_nothing(csrf_client, plan):
    step = StepFactory(plan=plan)
    response = csrf_client.post(f"/steps/{step.code}/done/", {"csrfmiddlewaretoken": "stale"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "That page was out of date" in html
    assert "nothing was changed" in html
    # No page sent it (no Referer): back to the step's own page.
    assert f'href="/steps/{step.code}/"' in html
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN


def test_the_way_back_is_the_page_the_form_was_on(csrf_client, plan):
    step = StepFactory(plan=plan)
    response = csrf_client.post(
        f"/steps/{step.code}/done/", HTTP_REFERER="http://testserver/dashboard/?x=1"
    )
    assert 'href="/dashboard/?x=1"' in response.content.decode()


def test_a_referer_from_another_site_is_not_followed(csrf_client, plan):
    step = StepFactory(plan=plan)
    response = csrf_client.post(
        f"/steps/{step.code}/done/", HTTP_REFERER="https://elsewhere.example/dashboard/"
    )
    assert f'href="/steps/{step.code}/"' in response.content.decode()
