"""The app on a phone with no connection: the service worker opens the dashboard and plan
page the person last saw, says so, and offers the offline page for anything else."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.pages import log_in
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def keep_dashboard_as_of(page, days_ago):
    """Date the kept dashboard `days_ago` days back, as if it was last seen then."""
    page.evaluate(
        """async (daysAgo) => {
            const cache = await caches.open("pages");
            const kept = await cache.match("/dashboard/");
            const headers = new Headers(kept.headers);
            const when = new Date(Date.now() - daysAgo * 24 * 3600 * 1000);
            headers.set("X-Kept-At", when.toISOString());
            const body = await kept.text();
            await cache.put("/dashboard/", new Response(body, { status: 200, headers }));
        }""",
        days_ago,
    )


def sign_in_under_the_worker(page, user):
    """Sign in, then wait for the worker to be installed (it fetches the shell first: slow
    on a busy machine) and active, and for the page to be one it controls. Functions, not
    expressions: Playwright evaluates an expression with eval in the page, which the
    page's CSP (no 'unsafe-eval') refuses."""
    log_in(page, user.email)
    page.evaluate(
        "() => { navigator.serviceWorker.ready.then(() => { window.workerReady = true; }); }"
    )
    page.wait_for_function("() => window.workerReady === true", timeout=30_000)
    if not page.evaluate("() => Boolean(navigator.serviceWorker.controller)"):
        page.reload()
    page.wait_for_function("() => Boolean(navigator.serviceWorker.controller)")


def nothing_kept_offline(context, page, name):
    """Offline, the dashboard is the offline page: nothing of `name`'s is kept."""
    context.set_offline(True)
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
    expect(page.get_by_text(name)).to_have_count(0)


def test_dashboard_and_plan_open_offline_with_a_banner(browser, live_server):
    user = UserFactory(display_name="Omar Offline", email="omar@example.com")
    plan = PlanFactory(owner=user, goal="I will be running a bike repair shop")
    StepFactory(plan=plan, title="Ask the shop on Mill Lane about weekend work")
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        locale="en-GB",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in_under_the_worker(page, user)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Omar Offline")
        page.goto("/dashboard/")
        page.goto(f"/plans/{plan.code}/")
        expect(page.locator("[data-offline-banner]")).to_be_hidden()

        context.set_offline(True)

        page.goto("/dashboard/")
        banner = page.locator("[data-offline-banner]")
        expect(banner).to_be_visible()
        expect(banner).to_have_text(
            re.compile(r"You are offline: showing what you saw at \d\d:\d\d\.")
        )
        # A page kept yesterday, or days ago, says so: its time alone would pass for today's.
        for days_ago, said in [
            (1, r"at \d\d:\d\d yesterday\."),
            (3, r"on \w+,? \d{1,2} \w+ at \d\d:\d\d\."),
        ]:
            keep_dashboard_as_of(page, days_ago)
            page.goto("/dashboard/")
            expect(banner).to_have_text(re.compile("showing what you saw " + said))
        shoot(page, "offline-1b-kept-days-ago")
        expect(
            page.get_by_text("Ask the shop on Mill Lane about weekend work").first
        ).to_be_visible()
        shoot(page, "offline-1-dashboard")

        page.goto(f"/plans/{plan.code}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("bike repair shop")
        expect(page.locator("[data-offline-banner]")).to_be_visible()

        page.goto("/journal/")
        expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
        shoot(page, "offline-2-fallback")

        # Signing out clears the kept pages: the next person on this phone sees nothing.
        context.set_offline(False)
        page.goto("/dashboard/")
        page.get_by_role("button", name="Show or hide navigation").click()
        page.get_by_role("button", name="Sign out").click()
        # The home page itself: a pattern ending in "/" would match the dashboard we are
        # on, and going offline before the sign-out reached the worker would cancel it.
        page.wait_for_url(f"{live_server.url}/")
        nothing_kept_offline(context, page, "Omar Offline")
    finally:
        context.close()


def test_deleting_the_account_clears_the_pages_kept_for_offline(browser, live_server):
    user = UserFactory(display_name="Dora Deleted", email="dora@example.com")
    PlanFactory(owner=user, goal="I will be teaching pottery")
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in_under_the_worker(page, user)
        page.goto("/dashboard/")
        assert page.evaluate(
            "async () => Boolean(await (await caches.open('pages')).match('/dashboard/'))"
        )

        page.goto("/accounts/data/delete/")
        page.get_by_label("I understand").check()
        page.get_by_role("button", name="Delete my account").click()
        page.locator("#id_password").fill("correct horse battery")
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(re.compile(r"/deleted/$"))

        nothing_kept_offline(context, page, "Dora Deleted")
    finally:
        context.close()
