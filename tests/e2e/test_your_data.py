"""A planner downloads everything, restores it into a new, empty account, and then
deletes the old account after entering the password again."""

import zipfile

import pytest
from playwright.sync_api import expect

from accounts.models import User
from plans.models import Plan
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def test_download_restore_elsewhere_and_delete(page, screenshot, tmp_path):
    old = UserFactory(display_name="Olga Old", email="olga@example.com")
    plan = PlanFactory(owner=old, goal="I will be running a bike repair shop by 2028")
    StepFactory(plan=plan, title="Price a workbench")
    UserFactory(display_name="Nina New", email="nina@example.com")
    page.set_viewport_size({"width": 390, "height": 844})

    sign_in(page, "olga@example.com")
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    screenshot("your-data-page")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download everything").click()
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    assert "careerplan-export.json" in zipfile.ZipFile(archive).namelist()
    page.context.clear_cookies()  # signed out

    sign_in(page, "nina@example.com")
    page.goto("/accounts/data/")
    page.get_by_label("Your careerplan archive (.zip)").set_input_files(archive)
    page.get_by_role("button", name="Restore").click()
    expect(page.locator(".alert-success")).to_contain_text("Restored 1 plan")
    assert Plan.objects.get(owner__email="nina@example.com").goal == plan.goal
    page.context.clear_cookies()  # signed out

    sign_in(page, "olga@example.com")
    page.goto("/accounts/data/")
    page.get_by_role("link", name="Delete my account…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")
    screenshot("delete-account-page")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is deleted")
    assert not User.objects.get(email="olga@example.com").is_active
    page.goto("/privacy/")
    screenshot("privacy-page")
