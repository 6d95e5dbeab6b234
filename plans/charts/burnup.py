"""Progress pictures of a plan: a burn-up chart and the on-time rate, as SVG geometry.

Pure functions with no database access. They read a list of steps (Step instances or
anything with status, due_date, created and completed) and the planner's `today` and
zone, and return numbers and coordinates a template turns into accessible SVG.

The pictures show the plan as it stands: dropped steps are left out of every line, and a
step checked off and then reopened counts as not done. Rescheduling moves the date a step
is judged against, so a step moved with a reason and done by its new date is on time.
Undated tree nodes are not action steps yet and are not counted until they are dated or
done: the steps progress counts (plans.models.counts_towards_progress), and a step's state
is plans.models.step_state.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from careerplan.dates import clamp
from plans.charts.wallchart import local_date
from plans.models import State, counts_towards_progress, date_has_come, step_state

WIDTH, HEIGHT = 640, 270
# Room for the y labels on the left, "Today" above and the date labels underneath (on a
# phone the chart is drawn at about half size with its text at 21 units: wallchart.css).
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 16, 28, 36
# Half the width of the longest date label ("30 Sep 2027") at that size: a label is
# centred on its day but kept this far from either edge, so none is cut off.
HALF_LABEL = 64
NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000)
MAX_Y_TICKS = 5
X_TICKS = 5

# Colours pass 4.5:1 against white; every line also differs in dash and width, and the
# legend names it, so none is told apart by colour alone.
SERIES_STYLE = {
    "planned": {"label": "Steps planned", "stroke": "#1d4e89", "dash": "", "width": 2},
    "due": {"label": "Steps due by then", "stroke": "#495057", "dash": "6 4", "width": 2},
    "done": {"label": "Steps done", "stroke": "#1e7b34", "dash": "", "width": 4},
}


def cumulative(days):
    """Return [(day, running total)] at each day something happened, in date order."""
    points = []
    for total, day in enumerate(sorted(days), start=1):
        if points and points[-1][0] == day:
            points[-1] = (day, total)
        else:
            points.append((day, total))
    return points


def value_on(points, day):
    """The running total of `points` at the end of `day`."""
    index = bisect_right([p[0] for p in points], day)
    return points[index - 1][1] if index else 0


def burnup_series(steps, zone):
    """Return the three cumulative series of a burn-up chart as {key: [(day, total)]}.

    - planned: action steps by the local day they were added;
    - due: the same steps by their completion date (it runs on into the future);
    - done: done steps by the local day they were checked off.
    """
    action = [s for s in steps if counts_towards_progress(s)]
    return {
        "planned": cumulative(local_date(s.created, zone) for s in action),
        # A date stored outside the range the app computes with sits at its edge.
        "due": cumulative(clamp(s.due_date) for s in action if s.due_date is not None),
        "done": cumulative(
            local_date(s.completed, zone)
            for s in action
            if s.status == "done" and s.completed is not None
        ),
    }


def nice_step(maximum, max_ticks=MAX_Y_TICKS):
    """The smallest round step that labels 0..maximum in at most `max_ticks` intervals."""
    for step in NICE_STEPS:
        if maximum / step <= max_ticks:
            return step
    return NICE_STEPS[-1] * (maximum // (NICE_STEPS[-1] * max_ticks) + 1)


@dataclass
class Line:
    key: str
    label: str
    stroke: str
    dash: str
    width: int
    path: str


@dataclass
class Tick:
    pos: float
    value: object
    label: str = ""


def date_labels(days):
    """ "2 Dec", with the year where the axis starts and where it changes ("2 Dec 2026",
    "1 Jan 2027"): a two-digit year read like a day of the month."""
    labels, year = [], None
    for day in days:
        labels.append(f"{day.day} {day:%b}" + (f" {day.year}" if day.year != year else ""))
        year = day.year
    return labels


@dataclass
class BurnUp:
    today: date
    start: date | None = None
    end: date | None = None
    lines: list = field(default_factory=list)
    x_ticks: list = field(default_factory=list)
    y_ticks: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    today_x: float = 0
    planned: int = 0
    due: int = 0
    done: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    left: int = MARGIN_LEFT
    right: int = WIDTH - MARGIN_RIGHT
    top: int = MARGIN_TOP
    bottom: int = HEIGHT - MARGIN_BOTTOM

    @property
    def is_empty(self):
        return not self.lines


@dataclass
class BurnUpRow:
    day: date
    planned: int | None
    due: int
    done: int | None
    is_today: bool = False


def build_burnup(steps, today, zone):
    """Return the geometry of the burn-up chart of `steps` seen on the planner's `today`.

    1. Build the cumulative series; the x axis runs from the first day anything happened
       to the later of today and the last completion date, the y axis from 0 to a round
       number above the largest total.
    2. Draw each series as a step line: flat until the day a count changes, then up.
       A day is one unit wide and "Today" is marked in the middle of its unit; "planned"
       and "done" stop at that mark (nothing after it has happened), "due" runs on to
       show what is ahead.
    3. Sample the series at the x ticks and today for the table that stands in for the
       picture.
    """
    series = burnup_series(steps, zone)
    chart = BurnUp(today=today)
    if not series["planned"]:
        return chart

    days = [points[0][0] for points in series.values() if points]
    start = min([*days, today])
    end = max(today, series["due"][-1][0] if series["due"] else today)
    # One day is one unit wide; a step taken on `day` rises at the start of that day.
    span = (end - start).days + 1
    plot_w, plot_h = chart.right - chart.left, chart.bottom - chart.top
    top_value = max(points[-1][1] for points in series.values() if points)
    y_step = nice_step(top_value)
    y_max = y_step * -(-top_value // y_step)

    def x(day):
        return round(chart.left + (day - start).days * plot_w / span, 1)

    def y(value):
        return round(chart.bottom - value * plot_h / y_max, 1)

    def step_path(points, until, stop_x):
        d = [f"M{x(start)} {y(0)}"]
        for day, value in points:
            if day > until:
                break
            d.append(f"H{x(day)}V{y(value)}")
        d.append(f"H{stop_x}")
        return "".join(d)

    today_x = round(chart.left + ((today - start).days + 0.5) * plot_w / span, 1)
    stops = {
        "planned": (today, today_x),
        "due": (end, x(end + timedelta(days=1))),
        "done": (today, today_x),
    }
    for key, points in series.items():
        style = SERIES_STYLE[key]
        chart.lines.append(Line(key=key, path=step_path(points, *stops[key]), **style))

    chart.start, chart.end = start, end
    chart.today_x = today_x
    chart.y_ticks = [Tick(pos=y(v), value=v) for v in range(0, y_max + 1, y_step)]
    # Evenly spaced: a whole number of days apart, at most X_TICKS of them.
    every = max(1, -(-(span - 1) // (X_TICKS - 1)))
    tick_days = [start + timedelta(days=n) for n in range(0, span, every)]
    # Each label is centred on its day's unit, as "Today" is, and kept off the edges.
    unit = plot_w / span
    chart.x_ticks = [
        Tick(
            pos=round(min(max(x(day) + unit / 2, HALF_LABEL), WIDTH - HALF_LABEL), 1),
            value=day,
            label=label,
        )
        for day, label in zip(tick_days, date_labels(tick_days), strict=True)
    ]
    chart.planned = value_on(series["planned"], today)
    chart.due = value_on(series["due"], today)
    chart.done = value_on(series["done"], today)
    for day in sorted({*tick_days, today}):
        future = day > today
        chart.rows.append(
            BurnUpRow(
                day=day,
                planned=None if future else value_on(series["planned"], day),
                due=value_on(series["due"], day),
                done=None if future else value_on(series["done"], day),
                is_today=day == today,
            )
        )
    return chart


@dataclass
class Segment:
    key: str
    label: str
    count: int
    fill: str
    x: float = 0
    width: float = 0


@dataclass
class OnTime:
    on_time: int
    late: int
    overdue: int
    due_today: int = 0
    done_ahead: int = 0
    segments: list = field(default_factory=list)
    width: int = WIDTH
    height: int = 32

    @property
    def judged(self):
        """Steps whose date has come and that are done or overdue: the rate's steps."""
        return self.on_time + self.late + self.overdue

    @property
    def rate(self):
        """Percentage done by their completion date, or None when nothing can be judged yet."""
        return round(100 * self.on_time / self.judged) if self.judged else None


def on_time_rate(steps, today, zone):
    """Count the steps whose date has come: done on time, done late, and still open after
    their date; and, not judged yet, those open on their date (`due_today`) and those done
    ahead of a date still to come (`done_ahead`, left out of "due by today" too).

    A step is on time when the planner's local date of `completed` is on or before its
    completion date: a step checked off at 23:30 in Santiago on its date is on time even
    though it is already the next day in UTC.
    """
    on_time = late = overdue = due_today = done_ahead = 0
    for step in steps:
        if step.status == "dropped" or step.due_date is None:
            continue
        if not date_has_come(step, today):
            done_ahead += step.status == "done"
            continue
        if step.status == "done":
            done_on = local_date(step.completed, zone)
            if done_on is None or done_on <= step.due_date:
                on_time += 1
            else:
                late += 1
        elif step_state(step, today) == State.OVERDUE:
            overdue += 1
        else:
            due_today += 1
    return OnTime(on_time, late, overdue, due_today=due_today, done_ahead=done_ahead)


def build_on_time(steps, today, zone):
    """Return the on-time counts with the geometry of one stacked bar."""
    result = on_time_rate(steps, today, zone)
    parts = [
        ("on_time", "Done on time", result.on_time, "#1e7b34"),
        ("late", "Done late", result.late, "#8a5300"),
        ("overdue", "Past the date, still open", result.overdue, "#b02a37"),
    ]
    x = 0.0
    for key, label, count, fill in parts:
        width = round(result.width * count / result.judged, 1) if result.judged else 0
        result.segments.append(Segment(key, label, count, fill, x=round(x, 1), width=width))
        x += width
    return result


@dataclass
class Progress:
    burnup: BurnUp
    on_time: OnTime


def build_progress(steps, today, zone):
    """Both progress pictures of a plan's steps, seen on the planner's local `today`."""
    steps = list(steps)
    return Progress(
        burnup=build_burnup(steps, today, zone),
        on_time=build_on_time(steps, today, zone),
    )


def build_progress_for_plan(plan, steps):
    """Both pictures as the plan's owner sees them today (plan.owner loaded)."""
    owner = plan.owner
    return build_progress(steps, owner.local_today(), owner.zone)
