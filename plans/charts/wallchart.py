"""The wall chart: every step of a plan laid out in time, coloured by its state.

Pure functions with no database access: the owner's wall chart, its print layout and a
buddy's read-only progress page all build the same chart from a list of steps and the
planner's `today`. A step's state and the tally come from plans.models (step_state,
count_progress), so the chart never disagrees with the plan page about what is overdue.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, timedelta
from functools import cached_property
from html import escape

from django.utils.safestring import mark_safe

from careerplan.dates import clamp
from careerplan.templatetags.calendar_dates import day as format_day
from plans.models import STATE_LABELS, State, count_progress, is_to_break_down, step_state

# Up to this many weeks a plan reads best week by week; a longer one by month, or the
# columns get too narrow to hold a step's title.
MAX_WEEK_COLUMNS = 16
# This many empty columns in a row (a quiet stretch of a long plan) fold into one gap, so
# a step planned years ahead does not draw a hundred empty columns.
MIN_GAP = 4

# One landscape A4 page inside 8 mm margins, less the heading, tally and legend above the
# columns; an A3 printer scales the same page up. Cards shrink through these font sizes
# until the tallest column is estimated to fit, so a busy plan still prints on one page.
PRINT_WIDTH_MM, PRINT_CHART_HEIGHT_MM = 281, 155
PRINT_FONTS_PT = (8, 7, 6, 5)
PRINT_BAND = 12
PRINT_COLUMN_MAX_MM = 60
PT_MM = 0.3528


# What the chart and the pictures read of each step: leaving out notes keeps a long plan
# light, and plain rows instead of model instances halve the time to load 200 steps.
CHART_FIELDS = (
    "pk",
    "code",
    "parent_id",
    "title",
    "due_date",
    "status",
    "reward",
    "created",
    "completed",
)


# Every state has a word beside its colour (and wallchart.css adds a symbol), so the
# chart never relies on colour alone. A step due this week is drawn as upcoming: the
# column of this week already says when it is due.
CARD_STATES = {State.DUE: State.UPCOMING}
NEXT_LABEL = ' <span class="wc-next-label">Next step</span>'
LEGEND = [
    (state, STATE_LABELS[state])
    for state in (State.DONE, State.OVERDUE, State.UPCOMING, State.DROPPED)
]


def local_date(instant, zone):
    """Return the planner's calendar date of a stored UTC instant (None stays None)."""
    if instant is None:
        return None
    return instant.astimezone(zone).date()


@dataclass(frozen=True)
class Card:
    code: object
    title: str
    due_date: date | None
    state: str
    completed_on: date | None = None
    reward: str = ""
    is_next: bool = False
    # The step's page, on the owner's own chart; empty where the chart is read-only.
    url: str = ""

    @property
    def day(self):
        """The day whose column holds the card: its completion date, or for a step done
        without one, the day it was done. A date stored outside the range the app
        computes with (careerplan.dates) is placed at its edge, so the columns can be
        counted without running off the calendar."""
        return clamp(self.due_date or self.completed_on)

    @property
    def label(self):
        return STATE_LABELS[self.state]

    @property
    def done_late(self):
        return (
            self.state == State.DONE
            and self.due_date is not None
            and self.completed_on is not None
            and self.completed_on > self.due_date
        )

    @cached_property
    def html(self):
        """The card's list item, with the title and reward escaped.

        Built here rather than in a template: a 200-step chart has 200 cards, and a card
        template with its include, URL tag and date filters was most of the page's time.
        `escape` is the standard library's, which django.utils.html.escape wraps.
        """
        title = escape(self.title)
        if self.url:
            title = f'<a href="{escape(self.url)}">{title}</a>'
        when = ""
        if self.day:
            if self.state == State.DONE and self.completed_on:
                late = f" (due {format_day(self.due_date, 'j M')})" if self.done_late else ""
                when = (
                    f' <span class="wc-date">done <time datetime="{self.completed_on.isoformat()}">'
                    f"{format_day(self.completed_on)}</time>{late}</span>"
                )
            else:
                when = (
                    f' <span class="wc-date">due <time datetime="{self.due_date.isoformat()}">'
                    f"{format_day(self.due_date)}</time></span>"
                )
        reward = ""
        if self.reward:
            reward = f' <span class="wc-reward">Reward: {escape(self.reward)}</span>'
        next_class, next_label = (" wc-next", NEXT_LABEL) if self.is_next else ("", "")
        # Safe: the title, reward and URL are escaped above; the rest is ours.
        return mark_safe(
            f'<li class="wc-card state-{self.state}{next_class}"><b class="wc-badge">{self.label}'
            f'</b>{next_label} <span class="wc-title">{title}</span>{when}{reward}</li>'
        )


@dataclass
class Column:
    start: date
    end: date  # inclusive
    cards: list = field(default_factory=list)
    is_current: bool = False
    is_past: bool = False
    is_gap: bool = False
    has_target: bool = False
    # Show the year beside the label on the first column and when the year turns.
    show_year: bool = False


def _count(key, doc=None):
    """A chart property that reads one of its counts."""
    return property(lambda chart: chart.counts[key], doc=doc)


@dataclass
class WallChart:
    scale: str  # "week" or "month"
    today: date
    columns: list
    undated: list
    # count_progress of the chart's steps: the plan page's numbers, by the same rules.
    counts: dict
    target_date: date | None = None

    done = _count("done")
    overdue = _count("overdue")
    upcoming = _count("upcoming", "Open steps due today or later, this week's included.")
    dropped = _count("dropped")
    to_break_down = _count("undated")
    total = _count("total", "Steps that count towards progress: dated or done, not dropped.")
    percent = _count("percent")

    @property
    def is_empty(self):
        return not self.columns and not self.undated

    @property
    def card_count(self):
        return sum(len(column.cards) for column in self.columns)

    @property
    def target_in_range(self):
        return any(column.has_target for column in self.columns)

    @property
    def target_after_columns(self):
        """True when the target date lies after the chart's columns (not before them)."""
        return bool(self.columns) and self.target_date > self.columns[-1].end

    @property
    def print_wraps(self):
        """More columns than fit one printed row wrap onto bands of PRINT_BAND."""
        return len(self.columns) > MAX_WEEK_COLUMNS

    @property
    def print_font(self):
        """The largest card font size (pt) at which the chart should fit one printed page."""
        return fit_print_font(self.columns, self.undated, wraps=self.print_wraps)

    @property
    def legend(self):
        return LEGEND

    @property
    def period_word(self):
        return "week" if self.scale == "week" else "month"


def estimate_height_mm(cards, width_mm, font):
    """Roughly how tall these cards print in a column `width_mm` wide at `font` pt.

    Mirrors wallchart.css: the state symbol sits beside the title; at 6 pt and below
    cards pack tighter, titles stop after three lines and rewards are left out; at 5 pt
    dates are left out too. Bold text averages about 0.58 em a character, and words wrap
    whole, which the rounding up absorbs.
    """
    line_mm = font * PT_MM * 1.25
    chars = max(int((width_mm - 3) / (font * PT_MM * 0.58)), 6)
    small = font <= 6
    # Padding, borders and the gap to the next card.
    overhead_mm = 1.6 if small else 2.6
    height = 0.0
    for card in cards:
        lines = -(-(len(card.title) + 2) // chars)
        if small:
            lines = min(lines, 3)
        if card.day is not None and font > 5:
            lines += 1
        if card.reward and not small:
            lines += -(-(len(card.reward) + 8) // chars)
        height += lines * line_mm + overhead_mm
    return height


def fit_print_font(columns, undated, *, wraps=False):
    """Return the largest font in PRINT_FONTS_PT at which the chart is estimated to fit.

    1. The page width shares out among the columns of a row (PRINT_BAND when they wrap),
       none wider than PRINT_COLUMN_MAX_MM.
    2. Each row is as tall as its fullest column plus its heading; rows add up, and the
       undated steps below take rows of six.
    """
    per_row = PRINT_BAND if wraps else max(len(columns), 1)
    rows = [columns[i : i + per_row] for i in range(0, len(columns), per_row)]
    width = min(PRINT_WIDTH_MM / per_row, PRINT_COLUMN_MAX_MM)
    heading_mm = 9
    for font in PRINT_FONTS_PT:
        height = sum(
            heading_mm + max(estimate_height_mm(c.cards, width, font) for c in row) for row in rows
        )
        if undated:
            tallest = max(estimate_height_mm([u], PRINT_WIDTH_MM / 6, font) for u in undated)
            height += heading_mm + -(-len(undated) // 6) * tallest
        if height <= PRINT_CHART_HEIGHT_MM:
            return font
    return PRINT_FONTS_PT[-1]


def week_start(day):
    return day - timedelta(days=day.weekday())


def month_start(day):
    return day.replace(day=1)


def next_period(start, scale):
    if scale == "week":
        return start + timedelta(days=7)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def choose_scale(first, last):
    """Weeks for a plan that spans up to MAX_WEEK_COLUMNS weeks, months beyond that."""
    weeks = (week_start(last) - week_start(first)).days // 7 + 1
    return "week" if weeks <= MAX_WEEK_COLUMNS else "month"


def build_columns(first, last, scale, today, target_date=None):
    """Return one empty column per week or month from `first` to `last`, today marked."""
    start = week_start(first) if scale == "week" else month_start(first)
    columns = []
    while start <= last:
        following = next_period(start, scale)
        end = following - timedelta(days=1)
        columns.append(
            Column(
                start=start,
                end=end,
                is_current=start <= today <= end,
                is_past=end < today,
                has_target=target_date is not None and start <= target_date <= end,
            )
        )
        start = following
    return columns


def fold_gaps(columns, min_gap=MIN_GAP):
    """Fold each run of at least `min_gap` empty columns into one gap column.

    The current column and the target's column always stay, so "this week" and the goal
    are never hidden inside a gap.
    """
    folded, run = [], []

    def flush():
        if len(run) >= min_gap:
            folded.append(Column(start=run[0].start, end=run[-1].end, is_gap=True))
        else:
            folded.extend(run)
        run.clear()

    for column in columns:
        if not column.cards and not column.is_current and not column.has_target:
            run.append(column)
            continue
        flush()
        folded.append(column)
    flush()
    return folded


def build_wallchart(steps, today, *, zone=UTC, target_date=None, scale=None, link=None):
    """Lay out `steps` for a wall chart seen on the planner's local `today`.

    1. Give each step its state on `today` (plans.models.step_state; due this week is
       drawn as upcoming) and count them (count_progress). A step without a completion
       date is listed apart as still to break down if nothing is under it yet; one
       already broken down is left out (its steps are on the chart), and one done
       without a date goes in the column of the day it was done.
    2. Span the columns from the earliest date to the latest, today included, by week or,
       for a long plan, by month (`scale` overrides the choice).
    3. Put each step in the column of its completion date, in the given order within a
       column, and mark the earliest open one as the next step.
    4. Fold long runs of empty columns into gaps.

    `steps` are Step instances or anything with code, title, due_date, status, completed
    and reward (and pk and parent_id, to tell a broken-down step from one still to break
    down); `zone` is the planner's zone, used for the local date a step was done.
    `link`, on the owner's own chart, turns a step's code into the URL of its page.
    """
    steps = list(steps)
    parents = {getattr(step, "parent_id", None) for step in steps} - {None}
    cards, undated = [], []
    for step in steps:
        state = step_state(step, today)
        card = Card(
            code=step.code,
            title=step.title,
            due_date=step.due_date,
            state=CARD_STATES.get(state, state),
            completed_on=local_date(step.completed, zone),
            reward=step.reward,
            url=link(step.code) if link else "",
        )
        if step.due_date is not None or (state == State.DONE and card.day is not None):
            cards.append(card)
        elif is_to_break_down(step, parents):
            undated.append(card)

    chart = WallChart(
        scale=scale or "week",
        today=today,
        columns=[],
        undated=undated,
        target_date=clamp(target_date),
        counts=count_progress(steps, today),
    )
    if not cards:
        return chart

    cards.sort(key=lambda card: card.day)
    next_open = next(
        (c for c in cards if c.state in (State.OVERDUE, State.UPCOMING)),
        None,
    )
    first, last = min(cards[0].day, today), max(cards[-1].day, today)
    chart.scale = scale or choose_scale(first, last)
    columns = build_columns(first, last, chart.scale, today, chart.target_date)

    index = 0
    for card in cards:
        while card.day > columns[index].end:
            index += 1
        if card is next_open:
            card = replace(card, is_next=True)
        columns[index].cards.append(card)

    chart.columns = fold_gaps(columns)
    year = None
    for column in chart.columns:
        column.show_year = column.start.year != year
        year = column.start.year
    return chart


def build_wallchart_for_plan(plan, steps, *, scale=None):
    """Build the chart of a plan's steps as its owner sees it today (plan.owner loaded)."""
    owner = plan.owner
    return build_wallchart(
        steps,
        owner.local_today(),
        zone=owner.zone,
        target_date=plan.target_date,
        scale=scale,
    )
