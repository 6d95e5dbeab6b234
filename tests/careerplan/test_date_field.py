"""Every date field's "cannot read that" message comes from careerplan.dates.DateField,
with an example the field itself would take."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from careerplan.dates import LATEST, DateField

TODAY = dt.date(2026, 11, 24)
ONE_DAY = dt.timedelta(days=1)


@time_machine.travel(dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("offered", "example"),
    [
        ({}, TODAY),
        ({"earliest": TODAY}, TODAY + 3 * ONE_DAY),
        ({"earliest": TODAY, "latest": TODAY + 3 * ONE_DAY}, TODAY + 3 * ONE_DAY),
        ({"earliest": TODAY, "latest": TODAY + 2 * ONE_DAY}, TODAY + 2 * ONE_DAY),
        ({"latest": TODAY}, TODAY),
        ({"earliest": TODAY, "example_after": TODAY + 7 * ONE_DAY}, TODAY + 10 * ONE_DAY),
        ({"earliest": TODAY, "example_after": dt.date(9999, 12, 31)}, LATEST),
    ],
)
@pytest.mark.parametrize("typed", ["2027-02-31", "31/02/2027", "tomorrow"])
def test_an_unreadable_date_is_refused_with_a_day_of_the_fields_range(offered, example, typed):
    field = DateField()
    field.set_range(**offered)

    with pytest.raises(ValidationError) as refused:
        field.clean(typed)

    assert refused.value.messages == [f"Enter a real date, like {example.isoformat()}."]
    assert field.clean(example.isoformat()) == example


def test_the_picker_offers_the_same_range():
    field = DateField()
    field.set_range(earliest=TODAY, latest=TODAY + 7 * ONE_DAY)

    assert (field.widget.attrs["min"], field.widget.attrs["max"]) == ("2026-11-24", "2026-12-01")
