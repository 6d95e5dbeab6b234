"""The privacy page says what is kept and what is sent, the planner's own reminders and
browser notifications included."""

from django.urls import reverse


def test_the_privacy_page_names_the_reminders_and_browser_notifications(client, db):
    page = client.get(reverse("privacy"))
    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    for words in [
        "a weekly plan",
        "a morning email on days a step is due",
        "a nudge when a plan has no step in the coming week",
        "an evening journal nudge",
        "push address and keys",
        "Nothing is sent to an address you have not confirmed",
        "a record of each email sent to a buddy or to you",
    ]:
        assert words in text, words
