"""The progress pictures (plans.charts.burnup): burn-up series, on-time rate and their SVG
geometry."""

import re
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from types import SimpleNamespace
from uuid import uuid4
from zoneinfo import ZoneInfo

from plans.charts.burnup import (
    HALF_LABEL,
    build_burnup,
    build_on_time,
    build_progress,
    burnup_series,
    cumulative,
    date_labels,
    nice_step,
    on_time_rate,
    value_on,
)

LONDON = ZoneInfo("Europe/London")
SANTIAGO = ZoneInfo("America/Santiago")
TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = date(2027, 3, 10)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def done_step(due, created, completed):
    return step(due=due, status="done", created=created, completed=completed)


def step(due=None, status="open", created=None, completed=None):
    return SimpleNamespace(
        code=uuid4(),
        title="A step",
        due_date=due,
        status=status,
        created=created or utc(2027, 3, 1, 12),
        completed=completed,
        reward="",
    )


def test_cumulative_counts_each_day_once_with_the_running_total():
    days = [date(2027, 3, 2), date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 5)]
    assert cumulative(days) == [(date(2027, 3, 1), 1), (date(2027, 3, 2), 3), (date(2027, 3, 5), 4)]


def test_value_on_reads_the_total_at_the_end_of_a_day():
    points = [(date(2027, 3, 1), 1), (date(2027, 3, 3), 4)]
    assert value_on(points, date(2027, 2, 28)) == 0
    assert value_on(points, date(2027, 3, 1)) == 1
    assert value_on(points, date(2027, 3, 2)) == 1
    assert value_on(points, date(2027, 3, 3)) == 4
    assert value_on(points, date(2027, 9, 1)) == 4


def test_burnup_counts_planned_due_and_done_and_leaves_out_dropped_and_undated():
    steps = [
        step(
            due=date(2027, 3, 5),
            status="done",
            created=utc(2027, 3, 1, 9),
            completed=utc(2027, 3, 4, 9),
        ),
        step(due=date(2027, 3, 8), created=utc(2027, 3, 2, 9)),
        step(due=date(2027, 3, 20), created=utc(2027, 3, 2, 10)),
        step(due=date(2027, 3, 6), status="dropped", created=utc(2027, 3, 1, 9)),
        step(due=None, created=utc(2027, 3, 1, 9)),
    ]
    series = burnup_series(steps, LONDON)
    assert series["planned"] == [(date(2027, 3, 1), 1), (date(2027, 3, 2), 3)]
    assert series["due"] == [(date(2027, 3, 5), 1), (date(2027, 3, 8), 2), (date(2027, 3, 20), 3)]
    assert series["done"] == [(date(2027, 3, 4), 1)]


def test_burnup_counts_an_undated_step_once_it_is_done():
    steps = [step(due=None, status="done", completed=utc(2027, 3, 3, 9))]
    series = burnup_series(steps, LONDON)
    assert series["planned"] == [(date(2027, 3, 1), 1)]
    assert series["due"] == []
    assert series["done"] == [(date(2027, 3, 3), 1)]


def test_burnup_puts_each_day_in_the_planners_zone():
    # 23:30 on 4 March in Santiago (-03) is already 5 March in UTC.
    late_evening = utc(2027, 3, 5, 2, 30)
    steps = [
        step(due=date(2027, 3, 4), status="done", created=late_evening, completed=late_evening)
    ]
    assert burnup_series(steps, SANTIAGO)["done"] == [(date(2027, 3, 4), 1)]
    assert burnup_series(steps, TOKYO)["done"] == [(date(2027, 3, 5), 1)]


def test_nice_step_labels_the_axis_with_round_numbers():
    assert nice_step(3) == 1
    assert nice_step(7) == 2
    assert nice_step(18) == 5
    assert nice_step(240) == 50
    assert nice_step(2000) == 500


def test_burnup_geometry_spans_first_day_to_last_due_date_and_stops_done_at_today():
    steps = [
        step(
            due=date(2027, 3, 5),
            status="done",
            created=utc(2027, 3, 1, 9),
            completed=utc(2027, 3, 4, 9),
        ),
        step(due=date(2027, 3, 20), created=utc(2027, 3, 2, 9)),
    ]
    chart = build_burnup(steps, TODAY, LONDON)
    assert (chart.start, chart.end) == (date(2027, 3, 1), date(2027, 3, 20))
    assert (chart.planned, chart.due, chart.done) == (2, 1, 1)
    lines = {line.key: line for line in chart.lines}
    assert set(lines) == {"planned", "due", "done"}
    # 20 days across the 580-unit plot: each day is 29 units; today (10 March) is day 9,
    # marked in the middle of its unit.
    assert chart.today_x == 44 + 9.5 * 29
    # "Done" ends at the Today mark, "due" at the end of the last completion date.
    assert lines["done"].path.endswith(f"H{44 + 9.5 * 29}")
    assert lines["planned"].path.endswith(f"H{44 + 9.5 * 29}")
    assert lines["due"].path.endswith(f"H{44 + 20 * 29.0}")
    assert lines["done"].path.startswith(f"M44.0 {chart.bottom}.0")
    # The y axis runs 0..2 in steps of 1; the top tick is at the top of the plot.
    assert [t.value for t in chart.y_ticks] == [0, 1, 2]
    assert chart.y_ticks[-1].pos == chart.top


def test_burnup_table_samples_the_ticks_and_today_and_leaves_the_future_blank():
    steps = [step(due=date(2027, 4, 30), created=utc(2027, 3, 1, 9))]
    chart = build_burnup(steps, TODAY, LONDON)
    days = [row.day for row in chart.rows]
    assert days == sorted(days)
    assert TODAY in days
    today_row = next(row for row in chart.rows if row.is_today)
    assert (today_row.planned, today_row.due, today_row.done) == (1, 0, 0)
    last = chart.rows[-1]
    assert last.day == date(2027, 4, 30)
    assert (last.planned, last.due, last.done) == (None, 1, None)


def test_burnup_of_a_plan_without_action_steps_is_empty():
    assert build_burnup([], TODAY, LONDON).is_empty
    assert build_burnup([step(due=None)], TODAY, LONDON).is_empty


def test_on_time_rate_counts_done_by_the_date_late_and_still_open_past_it():
    steps = [
        step(due=date(2027, 3, 5), status="done", completed=utc(2027, 3, 5, 20)),  # on the day
        step(due=date(2027, 3, 8), status="done", completed=utc(2027, 3, 2, 9)),  # early
        step(due=date(2027, 3, 1), status="done", completed=utc(2027, 3, 3, 9)),  # late
        step(due=date(2027, 3, 9)),  # past its date, open
        step(due=TODAY),  # due today: not late yet
        step(due=date(2027, 3, 20), status="done", completed=utc(2027, 3, 2, 9)),  # date ahead
        step(due=date(2027, 3, 2), status="dropped"),
        step(due=None, status="done", completed=utc(2027, 3, 3, 9)),
    ]
    result = on_time_rate(steps, TODAY, LONDON)
    assert (result.on_time, result.late, result.overdue) == (2, 1, 1)
    assert (result.due_today, result.done_ahead) == (1, 1)
    assert result.judged == 4
    assert result.rate == 50


def test_on_time_rate_leaves_out_a_step_done_today_whose_date_is_tomorrow():
    done_early = step(due=TODAY + timedelta(days=1), status="done", completed=utc(2027, 3, 10, 9))
    result = on_time_rate([done_early], TODAY, LONDON)
    assert result.judged == 0
    assert result.rate is None
    assert result.done_ahead == 1
    # The day it comes, it counts as done on time.
    assert on_time_rate([done_early], TODAY + timedelta(days=1), LONDON).on_time == 1


def test_on_time_rate_judges_a_step_done_on_its_date_today():
    done_on_the_day = step(due=TODAY, status="done", completed=utc(2027, 3, 10, 9))
    assert on_time_rate([done_on_the_day], TODAY, LONDON).on_time == 1


def test_on_time_steps_are_within_the_burnups_due_by_today():
    steps = [
        step(due=TODAY + timedelta(days=1), status="done", completed=utc(2027, 3, 10, 9)),
        step(due=TODAY, created=utc(2027, 3, 10, 8)),
        step(due=date(2027, 3, 9), status="done", completed=utc(2027, 3, 9, 9)),
        step(due=date(2027, 3, 8)),
    ]
    progress = build_progress(steps, TODAY, LONDON)
    on_time = progress.on_time
    assert progress.burnup.due == on_time.judged + on_time.due_today == 3
    assert progress.burnup.done == on_time.on_time + on_time.late + on_time.done_ahead == 2


def test_burnup_done_today_stops_at_the_today_mark_before_tomorrows_due_date():
    # Seen on 1 December: one step added and checked off today, due tomorrow.
    today = date(2027, 12, 1)
    steps = [done_step(date(2027, 12, 2), utc(2027, 12, 1, 9), utc(2027, 12, 1, 10))]
    chart = build_burnup(steps, today, LONDON)
    # Two days across the 580-unit plot: 290 units a day, Today in the middle of the first.
    assert chart.today_x == 44 + 145
    lines = {line.key: line for line in chart.lines}
    for key in ("planned", "done"):
        xs = [float(x) for x in re.findall(r"H([\d.]+)", lines[key].path)]
        assert max(xs) == chart.today_x
    # The due line rises where 2 December begins, after the Today mark.
    assert f"H{44 + 290.0}V" in lines["due"].path


def test_on_time_uses_the_planners_local_date_of_completion():
    # Checked off at 23:30 on its date in Santiago: 02:30 the next day in UTC.
    done_late_evening = step(due=date(2027, 3, 4), status="done", completed=utc(2027, 3, 5, 2, 30))
    assert on_time_rate([done_late_evening], TODAY, SANTIAGO).on_time == 1
    assert on_time_rate([done_late_evening], TODAY, UTC).late == 1


def test_on_time_rate_is_none_until_a_step_can_be_judged():
    result = on_time_rate([step(due=date(2027, 4, 1))], TODAY, LONDON)
    assert result.judged == 0
    assert result.rate is None


def test_on_time_bar_segments_fill_the_width_in_proportion():
    steps = [
        step(due=date(2027, 3, 5), status="done", completed=utc(2027, 3, 5, 9)),
        step(due=date(2027, 3, 5), status="done", completed=utc(2027, 3, 5, 9)),
        step(due=date(2027, 3, 1), status="done", completed=utc(2027, 3, 3, 9)),
        step(due=date(2027, 3, 9)),
    ]
    bar = build_on_time(steps, TODAY, LONDON)
    widths = {s.key: s.width for s in bar.segments}
    assert widths == {"on_time": 320.0, "late": 160.0, "overdue": 160.0}
    assert [s.x for s in bar.segments] == [0, 320.0, 480.0]


def test_build_progress_accepts_any_iterable_of_steps():
    steps = (s for s in [step(due=date(2027, 3, 5), status="done", completed=utc(2027, 3, 5, 9))])
    progress = build_progress(steps, TODAY, LONDON)
    assert progress.burnup.done == 1
    assert progress.on_time.rate == 100


def test_the_date_labels_are_evenly_spaced_whole_days():
    """Seven days are labelled every other day, not 1, 3, 4, 5, 7."""
    for last in (7, 20, 400):
        steps = [step(due=date(2027, 3, 1) + timedelta(days=last - 1), created=utc(2027, 3, 1))]
        chart = build_burnup(steps, TODAY, LONDON)
        days = [tick.value for tick in chart.x_ticks]
        gaps = {(b - a).days for a, b in pairwise(days)}
        assert len(gaps) == 1
        assert days[0] == chart.start
        assert 3 <= len(days) <= 5


def test_date_labels_name_the_year_where_it_starts_and_changes():
    days = [date(2026, 12, 2), date(2026, 12, 30), date(2027, 1, 27), date(2027, 2, 24)]
    assert date_labels(days) == ["2 Dec 2026", "30 Dec", "27 Jan 2027", "24 Feb"]


def test_date_labels_sit_on_their_day_and_inside_the_chart():
    """Centred on the middle of their day, as "Today" is, and never cut at an edge."""
    for last in (2, 5, 7, 400):
        steps = [step(due=date(2027, 3, 1) + timedelta(days=last - 1), created=utc(2027, 3, 1))]
        chart = build_burnup(steps, TODAY, LONDON)
        unit = (chart.right - chart.left) / ((chart.end - chart.start).days + 1)
        for tick in chart.x_ticks:
            centre = chart.left + ((tick.value - chart.start).days + 0.5) * unit
            inside = min(max(centre, HALF_LABEL), chart.width - HALF_LABEL)
            assert tick.pos == round(inside, 1)
            assert HALF_LABEL <= tick.pos <= chart.width - HALF_LABEL
