"""What the browser tests share: signing in, and running axe-core in a page."""

import json
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery"
# axe's rules for WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def log_in(page, email, password=PASSWORD):
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def settled(page):
    """Wait until no htmx request is in flight and everything it swapped in has settled
    (htmx takes over new buttons and forms when they settle)."""
    page.wait_for_function(
        "() => !document.querySelector("
        "'.htmx-request, .htmx-added, .htmx-settling, .htmx-swapping')"
    )


def axe_violations(page):
    """Run axe-core in the page as it is now; return its violations, each with the
    selectors of the nodes at fault.

    The script is evaluated through the browser's DevTools protocol, not added as a
    <script> element, so the page's Content Security Policy is not loosened for it.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "(tags) => axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    # axe 4.7 and later leave duplicate ids to the HTML validator; a label pointing at
    # the wrong field (two forms with the same field name) is exactly that, so count them.
    duplicates = page.evaluate(
        """() => { const seen = {}; const twice = new Set();
        for (const el of document.querySelectorAll('[id]')) {
          if (seen[el.id]) twice.add(el.id); seen[el.id] = true; }
        return [...twice]; }"""
    )
    if duplicates:
        result["violations"].append(
            {
                "id": "duplicate-id",
                "impact": "serious",
                "help": "ids must be unique",
                "nodes": [{"target": [f"#{i}"]} for i in duplicates],
            }
        )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [
                {"target": n["target"], "summary": n.get("failureSummary", "")[:300]}
                for n in v["nodes"][:5]
            ],
        }
        for v in result["violations"]
    ]


def describe(violations):
    return json.dumps(violations, indent=1, ensure_ascii=False)


def watch_errors(page):
    """A list that fills with what the browser reports as an error in this page: a script
    or style refused under the Content Security Policy, an uncaught exception, a
    stylesheet, script or image that failed to load. Some pages answer 404 or 410 on
    purpose; the browser logs that as an error too, so the page's own status is left out."""
    errors = []
    # htmx logs a request cut short on purpose as an error: a newer SMART check replacing
    # an older one (hx-sync), or a form submitted while a check was on its way. Each such
    # abort comes as htmx:sendAbort with an htmx:afterRequest; a failed request comes as
    # htmx:afterRequest with htmx:sendError, htmx:timeout or htmx:responseError, and those
    # still count.
    expected = ("Failed to load resource", "htmx:sendAbort", "htmx:afterRequest")

    def console(message):
        if message.type == "error" and not message.text.startswith(expected):
            errors.append(f"{page.url}: {message.text}")

    def response(answer):
        # An htmx request answered 409 or 422 is a refused form, shown to the person.
        if answer.status >= 500 or (
            answer.status >= 400
            and answer.request.resource_type not in ("document", "xhr", "fetch")
        ):
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on("response", response)
    return errors
