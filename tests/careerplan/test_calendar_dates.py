import datetime

from django.template import Context, Template


def test_day_filter_formats_like_date_and_leaves_no_date_empty():
    template = Template('{% load calendar_dates %}{{ d|day:"D j M" }}|{{ d|day }}|{{ none|day }}')
    out = template.render(Context({"d": datetime.date(2026, 11, 24), "none": None}))
    assert out == "Tue 24 Nov|Tue 24 Nov|"
