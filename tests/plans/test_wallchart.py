"""The wall chart: its pure layout, and the page and print layout that show it."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from careerplan import versions
from plans.charts.burnup import build_progress, build_progress_for_plan
from plans.charts.wallchart import (
    MAX_WEEK_COLUMNS,
    build_wallchart,
    build_wallchart_for_plan,
    choose_scale,
)
from plans.models import State, Step
from tests.factories import StepFactory

LONDON = ZoneInfo("Europe/London")
# A Wednesday.
TODAY = date(2027, 3, 10)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def step(due=None, status="open", title="A step", completed=None, reward="", pk=None, parent=None):
    return SimpleNamespace(
        pk=pk,
        parent_id=parent,
        code=uuid4(),
        title=title,
        due_date=due,
        status=status,
        created=utc(2027, 3, 1, 9),
        completed=completed,
        reward=reward,
    )


# Layout -------------------------------------------------------------------------------


def test_cards_draw_steps_due_this_week_as_upcoming_and_name_each_state():
    steps = [
        step(due=date(2027, 3, 9), title="Yesterday"),
        step(due=TODAY, title="Today"),
        step(due=date(2027, 3, 17), title="In a week"),
        step(due=date(2027, 3, 1), status="done", title="Done"),
        step(due=date(2027, 3, 2), status="dropped", title="Dropped"),
        step(due=None, title="Undated"),
    ]
    chart = build_wallchart(steps, TODAY)
    cards = [*chart.undated, *(card for column in chart.columns for card in column.cards)]
    assert {card.title: (card.state, card.label) for card in cards} == {
        "Yesterday": (State.OVERDUE, "Overdue"),
        "Today": (State.UPCOMING, "Upcoming"),
        "In a week": (State.UPCOMING, "Upcoming"),
        "Done": (State.DONE, "Done"),
        "Dropped": (State.DROPPED, "Dropped"),
        "Undated": (State.UNDATED, "To break down"),
    }


def test_up_to_sixteen_weeks_is_laid_out_by_week():
    last = TODAY + timedelta(weeks=MAX_WEEK_COLUMNS - 1)
    assert choose_scale(TODAY, last) == "week"
    assert choose_scale(TODAY, last + timedelta(weeks=1)) == "month"


def test_week_columns_start_on_monday_and_mark_this_week():
    chart = build_wallchart(
        [step(due=date(2027, 3, 9)), step(due=date(2027, 3, 24))], TODAY, zone=LONDON
    )
    assert chart.scale == "week"
    assert [c.start for c in chart.columns] == [
        date(2027, 3, 8),
        date(2027, 3, 15),
        date(2027, 3, 22),
    ]
    assert [c.end for c in chart.columns] == [
        date(2027, 3, 14),
        date(2027, 3, 21),
        date(2027, 3, 28),
    ]
    assert [c.is_current for c in chart.columns] == [True, False, False]
    assert [len(c.cards) for c in chart.columns] == [1, 0, 1]
    assert chart.columns[0].cards[0].state == State.OVERDUE


def test_long_plan_is_laid_out_by_month():
    steps = [step(due=date(2027, 3, 20)), step(due=date(2027, 9, 2)), step(due=date(2027, 5, 31))]
    chart = build_wallchart(steps, TODAY)
    assert chart.scale == "month"
    assert [c.start for c in chart.columns] == [date(2027, m, 1) for m in range(3, 10)]
    assert chart.columns[0].is_current
    assert chart.columns[2].end == date(2027, 5, 31)
    assert [len(c.cards) for c in chart.columns] == [1, 0, 1, 0, 0, 0, 1]


def test_month_columns_cross_the_new_year():
    chart = build_wallchart([step(due=date(2028, 1, 15))], date(2027, 11, 20), scale="month")
    assert [c.start for c in chart.columns] == [
        date(2027, 11, 1),
        date(2027, 12, 1),
        date(2028, 1, 1),
    ]
    assert [c.show_year for c in chart.columns] == [True, False, True]


def test_chosen_scale_overrides_the_automatic_one():
    chart = build_wallchart([step(due=date(2027, 3, 20))], TODAY, scale="month")
    assert chart.scale == "month"
    assert len(chart.columns) == 1


def test_the_chart_starts_at_the_earliest_date_or_today():
    past = build_wallchart([step(due=date(2027, 2, 1), status="done")], TODAY)
    assert past.columns[0].start == date(2027, 2, 1)
    assert past.columns[-1].is_current
    future = build_wallchart([step(due=date(2027, 4, 1))], TODAY)
    assert future.columns[0].is_current
    assert future.columns[0].start == date(2027, 3, 8)


def test_long_empty_stretches_fold_into_one_gap():
    steps = [step(due=date(2027, 3, 20)), step(due=date(2030, 3, 20))]
    chart = build_wallchart(steps, TODAY)
    assert chart.scale == "month"
    assert [c.is_gap for c in chart.columns] == [False, True, False]
    gap = chart.columns[1]
    assert (gap.start, gap.end) == (date(2027, 4, 1), date(2030, 2, 28))


def test_short_empty_stretches_and_the_target_column_stay():
    steps = [step(due=date(2027, 3, 10)), step(due=date(2027, 8, 20))]
    chart = build_wallchart(steps, TODAY, target_date=date(2027, 6, 1))
    assert not any(c.is_gap for c in chart.columns)
    assert [c.has_target for c in chart.columns] == [False, False, False, True, False, False]
    assert chart.target_in_range


def test_cards_are_in_date_order_and_the_earliest_open_one_is_next():
    steps = [
        step(due=date(2027, 3, 12), title="Later"),
        step(due=date(2027, 3, 8), status="done", title="Done first"),
        step(due=date(2027, 3, 9), title="Overdue"),
    ]
    chart = build_wallchart(steps, TODAY)
    cards = chart.columns[0].cards
    assert [c.title for c in cards] == ["Done first", "Overdue", "Later"]
    assert [c.is_next for c in cards] == [False, True, False]


def test_undated_steps_are_listed_apart_and_not_counted_as_planned():
    steps = [step(due=None, title="Find a location"), step(due=date(2027, 3, 12))]
    chart = build_wallchart(steps, TODAY)
    assert [c.title for c in chart.undated] == ["Find a location"]
    assert chart.card_count == 1
    assert chart.total == 1


def test_a_broken_down_step_is_not_listed_as_still_to_break_down():
    steps = [
        step(pk=1, due=None, title="Find a location"),
        step(pk=2, parent=1, due=date(2027, 3, 12), title="Visit three empty shops"),
        step(pk=3, parent=1, due=None, title="Ask the council about rents"),
        step(pk=4, due=None, status="dropped", title="Open a second shop"),
    ]
    chart = build_wallchart(steps, TODAY)
    assert [c.title for c in chart.undated] == ["Ask the council about rents"]
    assert [c.title for c in chart.columns[0].cards] == ["Visit three empty shops"]
    assert chart.dropped == 1


def test_a_step_done_without_a_date_goes_in_the_column_of_the_day_it_was_done():
    done = step(due=None, status="done", title="Talk to Ann", completed=utc(2027, 2, 22, 9))
    chart = build_wallchart([done, step(due=TODAY)], TODAY, zone=LONDON)
    assert chart.undated == []
    assert chart.columns[0].start == date(2027, 2, 22)
    assert [c.title for c in chart.columns[0].cards] == ["Talk to Ann"]
    assert (chart.done, chart.total) == (1, 2)


def test_progress_counts_done_against_steps_still_planned():
    steps = [
        step(due=date(2027, 3, 1), status="done"),
        step(due=date(2027, 3, 2), status="done"),
        step(due=date(2027, 3, 3)),
        step(due=date(2027, 3, 30)),
        step(due=date(2027, 3, 4), status="dropped"),
    ]
    chart = build_wallchart(steps, TODAY)
    assert (chart.done, chart.overdue, chart.upcoming, chart.dropped) == (2, 1, 1, 1)
    assert chart.total == 4
    assert chart.percent == 50


def test_done_card_shows_the_local_day_it_was_done_and_whether_late():
    # Checked off at 00:30 BST on 4 June, which is still 3 June in UTC.
    done = step(due=date(2027, 6, 3), status="done", completed=utc(2027, 6, 3, 23, 30))
    card = build_wallchart([done], date(2027, 6, 10), zone=LONDON).columns[0].cards[0]
    assert card.completed_on == date(2027, 6, 4)
    assert card.done_late
    on_time = build_wallchart([done], date(2027, 6, 10), zone=UTC).columns[0].cards[0]
    assert not on_time.done_late


def test_plan_without_steps_is_empty():
    chart = build_wallchart([], TODAY)
    assert chart.is_empty
    assert chart.columns == []
    assert chart.percent == 0


def test_print_font_shrinks_as_the_chart_fills():
    few = build_wallchart([step(due=TODAY) for _ in range(5)], TODAY)
    some = build_wallchart([step(due=TODAY + timedelta(days=i % 60)) for i in range(40)], TODAY)
    title = "Talk to a friend who worked in a bookshop"
    many = build_wallchart(
        [step(due=TODAY + timedelta(days=i % 90), title=title) for i in range(200)], TODAY
    )
    assert few.print_font == 8
    assert few.print_font >= some.print_font >= many.print_font
    assert many.print_font == 5


def test_print_font_allows_for_long_titles():
    short = build_wallchart([step(due=TODAY, title="Call Ann") for _ in range(12)], TODAY)
    long = build_wallchart([step(due=TODAY, title="Talk " * 30) for _ in range(12)], TODAY)
    assert short.print_font > long.print_font


def test_more_than_sixteen_columns_wrap_when_printed():
    steps = [step(due=TODAY + timedelta(weeks=n)) for n in range(20)]
    assert not build_wallchart(steps[:16], TODAY).print_wraps
    assert build_wallchart(steps, TODAY, scale="week").print_wraps


@pytest.mark.parametrize("scale", ["week", "month"])
def test_every_dated_step_lands_in_the_column_holding_its_date(scale):
    steps = [step(due=TODAY + timedelta(days=n * 5 - 30)) for n in range(40)]
    chart = build_wallchart(steps, TODAY, scale=scale)
    placed = [(card, col) for col in chart.columns for card in col.cards]
    assert len(placed) == 40
    assert all(col.start <= card.due_date <= col.end for card, col in placed)


# Views --------------------------------------------------------------------------------


def wallchart_url(plan):
    return reverse("plans-wallchart", args=[plan.code])


def print_url(plan):
    return reverse("plans-wallchart-print", args=[plan.code])


def add_steps(plan, count, today):
    """Bulk-create `count` steps over the weeks around `today`, in every state."""
    states = ["done", "open", "open", "dropped"]
    Step.objects.bulk_create(
        Step(
            plan=plan,
            title=f"Step {n} towards the shop",
            due_date=None if n % 10 == 9 else today + timedelta(days=(n % 70) - 20),
            status=states[n % 4],
            completed=timezone.now() if states[n % 4] == "done" else None,
            reward="A trip to the cinema" if n % 5 == 0 else "",
            position=n,
        )
        for n in range(count)
    )
    versions.bump(plan.owner_id)  # rows written in bulk send no signal


@pytest.fixture
def frozen():
    # 10:00 UTC on Wednesday 10 March 2027.
    with time_machine.travel(datetime(2027, 3, 10, 10, 0, tzinfo=UTC), tick=False):
        yield


@pytest.mark.usefixtures("frozen")
def test_owner_sees_the_wall_chart_with_states_legend_and_progress(owner_client, plan):
    StepFactory(plan=plan, title="Talk to a friend who worked in a bookshop", due_date=TODAY)
    StepFactory(plan=plan, title="Visit three empty shops", due_date=date(2027, 3, 1))
    StepFactory(
        plan=plan,
        title="Choose a name",
        due_date=date(2027, 3, 2),
        status="done",
        completed=utc(2027, 3, 2, 15),
        reward="a bar of chocolate",
    )
    location = StepFactory(plan=plan, title="Find a location", due_date=None)
    StepFactory(plan=plan, parent=location, title="Ask the council about rents", due_date=None)

    response = owner_client.get(wallchart_url(plan))

    assert response.status_code == 200
    html = response.content.decode()
    assert "plans/wallchart/wallchart.html" in [t.name for t in response.templates]
    assert plan.goal in html
    assert f'aria-current="page" href="{wallchart_url(plan)}"' in html
    for words in ("Talk to a friend who worked in a bookshop", "Visit three empty shops"):
        assert words in html
    assert "1 of 3 steps done</strong> (33%)" in html
    assert '<progress class="wc-progress" max="3" value="1"' in html
    assert "Still to break down" in html
    assert "Ask the council about rents" in html
    # Broken down already: its steps are on the chart, it is not "to break down".
    assert "Find a location" not in html
    # Each state has a word as well as a colour, and the legend names them all.
    for label in ("Done", "Overdue", "Upcoming", "Dropped", "This week"):
        assert label in html
    assert 'aria-current="date"' in html
    assert "Reward: a bar of chocolate" in html
    # The owner's cards link to each step's page.
    done = plan.steps.get(title="Choose a name")
    assert f'<a href="{reverse("plans-step-detail", args=[done.code])}">Choose a name</a>' in html
    # The progress pictures are there, described for screen readers.
    assert 'role="img"' in html
    assert "Burn-up chart: steps planned, due and done" in html
    assert "On-time rate: 50%" in html
    assert "css/wallchart" in html
    # Nothing the CSP would block: no inline styles or scripts.
    assert " style=" not in html
    assert "<script>" not in html


@pytest.mark.usefixtures("frozen")
def test_a_step_done_ahead_of_its_date_tomorrow_is_not_yet_on_time_in_either_summary(
    owner_client, plan
):
    step = StepFactory(plan=plan, title="Ring the printer", due_date=TODAY + timedelta(days=1))
    owner_client.post(reverse("plans-step-done", args=[step.code]), {"from": "plan"})

    html = owner_client.get(wallchart_url(plan)).content.decode()

    assert "By today, 1 step planned, 0 due and <strong>1 done</strong>." in html
    assert "on time:" not in html
    assert "Nothing to judge yet" in html
    assert "Not counted yet: 1 step done ahead of its date, until the date comes." in html


@pytest.mark.usefixtures("frozen")
def test_the_on_time_sentence_counts_only_steps_whose_date_has_come(owner_client, plan):
    ahead = StepFactory(plan=plan, due_date=TODAY + timedelta(days=1))
    on_the_day = StepFactory(plan=plan, due_date=TODAY)
    for step in (ahead, on_the_day):
        owner_client.post(reverse("plans-step-done", args=[step.code]), {"from": "plan"})
    StepFactory(plan=plan, due_date=TODAY)
    StepFactory(plan=plan, due_date=TODAY - timedelta(days=1))

    html = owner_client.get(wallchart_url(plan)).content.decode()

    # Three steps due by today: one done on its date, one still open today, one overdue.
    assert "By today, 4 steps planned, 3 due and <strong>2 done</strong>." in html
    assert "50%</strong> on time: 1 of 2 steps whose date has come were done by it." in html
    assert (
        "Not counted yet: 1 step due today, until done or the day is over;"
        " 1 step done ahead of its date, until the date comes." in html
    )


@pytest.mark.usefixtures("frozen")
def test_print_and_print_layout_controls_are_offered(owner_client, plan):
    html = owner_client.get(wallchart_url(plan)).content.decode()
    assert f'href="{print_url(plan)}" data-print>Print</a>' in html
    assert f'href="{print_url(plan)}">Print layout</a>' in html


@pytest.mark.usefixtures("frozen")
def test_print_layout_is_read_only_and_has_a_print_button(owner_client, plan):
    StepFactory(plan=plan, title="Talk to a friend who worked in a bookshop", due_date=TODAY)
    response = owner_client.get(print_url(plan))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Talk to a friend who worked in a bookshop" in html
    assert "data-print>Print</button>" in html
    assert "Back to the wall chart" in html
    assert "wallchart-print" in html
    assert 'href="/steps/' not in html


@pytest.mark.usefixtures("frozen")
def test_empty_plan_explains_what_will_appear(owner_client, plan):
    html = owner_client.get(wallchart_url(plan)).content.decode()
    assert "No steps yet" in html
    assert f'<a href="{reverse("plans-detail", args=[plan.code])}">Add a step</a>' in html
    assert "Nothing to draw yet" in html


@pytest.mark.usefixtures("frozen")
def test_overdue_follows_the_planners_zone(owner, owner_client, plan):
    # 10:00 UTC on 10 March is already 11 March in Kiritimati (UTC+14).
    owner.tz = "Pacific/Kiritimati"
    owner.save(update_fields=["tz"])
    StepFactory(plan=plan, title="Due on the tenth", due_date=TODAY)
    html = owner_client.get(wallchart_url(plan)).content.decode()
    assert "0 of 1 step done</strong> (0%) · 1 overdue" in html


@pytest.mark.usefixtures("frozen")
def test_htmx_scale_switch_returns_only_the_chart(owner_client, plan, htmx_headers):
    StepFactory(plan=plan, due_date=date(2027, 3, 20))
    response = owner_client.get(wallchart_url(plan), {"scale": "month"}, headers=htmx_headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="chart-area"')
    assert "<html" not in html
    assert "Steps by month" in html
    assert '<time datetime="2027-03">March 2027</time>' in html


@pytest.mark.usefixtures("frozen")
def test_print_links_keep_the_chosen_layout(owner_client, plan, htmx_headers):
    StepFactory(plan=plan, due_date=date(2027, 3, 20))
    html = owner_client.get(wallchart_url(plan), {"scale": "month"}, headers=htmx_headers)
    assert f'href="{print_url(plan)}?scale=month" data-print>Print</a>' in html.content.decode()
    printed = owner_client.get(print_url(plan), {"scale": "month"}).content.decode()
    assert f'href="{wallchart_url(plan)}?scale=month">Back to the wall chart</a>' in printed
    assert "Steps by month" in printed


@pytest.mark.usefixtures("frozen")
def test_unknown_scale_falls_back_to_the_automatic_one(owner_client, plan):
    StepFactory(plan=plan, due_date=date(2027, 3, 20))
    response = owner_client.get(wallchart_url(plan), {"scale": "decade"})
    assert response.status_code == 200
    assert "Steps by week" in response.content.decode()


@pytest.mark.parametrize("url", [wallchart_url, print_url])
def test_stranger_gets_404(stranger_client, plan, url):
    assert stranger_client.get(url(plan)).status_code == 404


@pytest.mark.parametrize("url", [wallchart_url, print_url])
def test_anonymous_visitor_is_sent_to_log_in(client, plan, url):
    response = client.get(url(plan))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("url", [wallchart_url, print_url])
def test_post_is_refused_with_405(owner_client, plan, url):
    assert owner_client.post(url(plan)).status_code == 405


def test_htmx_request_for_the_print_layout_gets_the_whole_page(owner_client, plan, htmx_headers):
    response = owner_client.get(print_url(plan), headers=htmx_headers)
    assert response.status_code == 200
    assert "<html" in response.content.decode()


@pytest.mark.parametrize("url", [wallchart_url, print_url])
def test_query_count_is_the_same_for_5_and_500_steps(
    owner_client, plan, url, django_assert_max_num_queries
):
    today = plan.owner.local_today()
    add_steps(plan, 5, today)
    with django_assert_max_num_queries(5):
        assert owner_client.get(url(plan)).status_code == 200
    add_steps(plan, 495, today)
    with django_assert_max_num_queries(5):
        assert owner_client.get(url(plan)).status_code == 200


def test_charts_keep_their_query_count_at_2000_steps(
    owner_client, plan, django_assert_max_num_queries
):
    add_steps(plan, 2000, plan.owner.local_today())
    with django_assert_max_num_queries(5):
        response = owner_client.get(wallchart_url(plan))
    assert "Burn-up chart" in response.content.decode()


@pytest.mark.usefixtures("frozen")
def test_page_with_200_steps_stays_under_100_kb(owner_client, plan):
    add_steps(plan, 200, TODAY)
    for url in (wallchart_url, print_url):
        response = owner_client.get(url(plan))
        assert response.status_code == 200
        assert len(response.content) <= 100_000, len(response.content)


# The partial on its own, as another page includes it ------------------------------------


@pytest.mark.usefixtures("frozen")
def test_chart_partial_renders_read_only_without_a_plan(owner):
    chart = build_wallchart(
        [step(due=TODAY, title="Visit the bank"), step(due=None, title="Find a location")],
        TODAY,
        zone=LONDON,
    )
    html = render_to_string("plans/wallchart/_chart.html", {"chart": chart})
    assert "Visit the bank" in html
    assert "Find a location" in html
    assert "<a " not in html


def test_cards_escape_what_the_planner_typed_and_link_only_when_asked():
    hostile = step(
        due=TODAY,
        title='<script>alert("t")</script> & co',
        reward="<img src=x onerror=alert(1)>",
    )
    chart = build_wallchart([hostile], TODAY, link=lambda code: f"/steps/{code}/?a=1&b=2")
    html = render_to_string("plans/wallchart/_chart.html", {"chart": chart})
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; co" in html
    assert "Reward: &lt;img src=x onerror=alert(1)&gt;" in html
    assert f'<a href="/steps/{hostile.code}/?a=1&amp;b=2">' in html
    # Built without `link` (the print layout, a buddy's page), a card is plain text.
    plain = render_to_string(
        "plans/wallchart/_chart.html", {"chart": build_wallchart([hostile], TODAY)}
    )
    assert "<a " not in plain
    assert "&lt;script&gt;" in plain


def test_progress_partial_renders_from_the_plan_helpers(plan):
    StepFactory(plan=plan, due_date=plan.owner.local_today(), title="Call the bank")
    steps = list(Step.objects.filter(plan=plan))
    html = render_to_string(
        "plans/wallchart/_progress.html",
        {"progress": build_progress_for_plan(plan, steps)},
    )
    assert 'role="img"' in html
    assert "Show the numbers" in html
    chart_html = render_to_string(
        "plans/wallchart/_chart.html", {"chart": build_wallchart_for_plan(plan, steps)}
    )
    assert "Call the bank" in chart_html


def test_chart_partial_shows_gaps_the_target_and_this_month():
    steps = [step(due=date(2027, 3, 20), title="Visit the bank"), step(due=date(2030, 3, 20))]
    chart = build_wallchart(steps, TODAY, target_date=date(2030, 3, 31))
    html = render_to_string("plans/wallchart/_chart.html", {"chart": chart})
    assert "Nothing planned from April 2027 to February 2030" in html
    assert 'Target date: <time datetime="2030-03-31">31 Mar</time>' in html
    assert '<span class="wc-now">This month</span>' in html
    assert 'id="wc-this-period"' in html


def test_chart_partial_says_when_the_target_is_beyond_the_last_step():
    chart = build_wallchart([step(due=TODAY)], TODAY, target_date=date(2027, 12, 1))
    html = render_to_string("plans/wallchart/_chart.html", {"chart": chart})
    assert "1 December 2027</time>, after the last step on the chart" in html


def test_progress_partial_gives_the_numbers_as_text():
    steps = [
        SimpleNamespace(
            status="done",
            due_date=date(2027, 3, 5),
            created=utc(2027, 3, 1, 9),
            completed=utc(2027, 3, 4, 9),
        ),
        SimpleNamespace(
            status="open", due_date=date(2027, 3, 8), created=utc(2027, 3, 1, 9), completed=None
        ),
    ]
    html = render_to_string(
        "plans/wallchart/_progress.html", {"progress": build_progress(steps, TODAY, LONDON)}
    )
    assert "By today, 2 steps planned, 2 due and <strong>1 done</strong>." in html
    assert "50%</strong> on time: 1 of 2 steps whose date has come were done by it." in html
    assert '<title id="wc-ontime-title">On-time rate: 50%</title>' in html
    assert "Past the date, still open: 1" in html
    assert "<caption>Steps planned, due and done by each date</caption>" in html
