"""When a reminder falls due: a wall-clock time on one of the planner's local days,
turned into the UTC instant the reminder pass looks for."""

from datetime import UTC, datetime, time, timedelta

# A reminder is still worth sending until this long after its local day ends.
STALE_AFTER = timedelta(hours=1)


def occurrence(day, at, zone):
    """Return the UTC instant of the wall-clock time `at` on the local `day` in `zone`.

    DST, the way the check-up instant handles it (plans.models.checkup_instant): a time
    that does not exist that day (the clocks jump forward over it) is read with the
    offset from before the jump, so it lands as far past the jump as it was into the gap
    (01:30 on London's spring-forward day is 02:30 BST; 02:15 on Lord Howe's, a
    30-minute jump, is 02:45); a time that happens twice (the clocks go back) is its
    first occurrence (fold=0). Either way the day has exactly one instant for it, and
    that instant is on that local day.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def local_day(instant, zone):
    """Return the local date of an instant in `zone`: the day a reminder is for."""
    return instant.astimezone(zone).date()


def next_occurrence(after, zone, at, weekday=None):
    """Return the first occurrence of `at` in `zone` (on `weekday` if one is given, 0 for
    Monday) strictly after the instant `after`."""
    day = local_day(after, zone)
    while True:
        instant = first_occurrence(day, zone, at, weekday)
        if instant > after:
            return instant
        day = local_day(instant, zone) + timedelta(days=1)


def first_occurrence(day, zone, at, weekday=None):
    """Return the occurrence of `at` on the local `day`, or on the first day after it
    that is `weekday`."""
    if weekday is not None:
        day += timedelta(days=(weekday - day.weekday()) % 7)
    return occurrence(day, at, zone)


def day_over(day, zone, now):
    """True once the local `day` in `zone` ended, STALE_AFTER ago: a reminder for it is
    no longer worth sending (a morning email held up until the next day is noise), and
    a pass that ran just past midnight still sends one set for 23:59."""
    return now >= occurrence(day + timedelta(days=1), time(0), zone) + STALE_AFTER


def first_open_day(zone, now):
    """The earliest local day that is not over (day_over) at `now`."""
    return local_day(now - STALE_AFTER, zone)
