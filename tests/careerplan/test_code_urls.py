"""`{% code_url %}` gives exactly what `{% url %}` gives, reversing each name once."""

import uuid

import pytest
from django.template import Context, Template
from django.urls import clear_script_prefix, reverse, set_script_prefix

from careerplan.templatetags import code_urls

NAMES = ["plans-step-detail", "plans-step-done", "plans-tree-step-move", "plans-grow-detail"]


@pytest.fixture
def prefix():
    yield set_script_prefix
    clear_script_prefix()


@pytest.mark.parametrize("name", NAMES)
def test_same_url_as_reverse(name):
    code = uuid.uuid4()
    assert code_urls.code_url(name, code) == reverse(name, args=[code])
    assert code_urls.code_url_for(name)(code) == reverse(name, args=[code])


def test_the_tag_matches_the_url_tag():
    code = uuid.uuid4()
    html = Template(
        "{% load code_urls %}{% code_url 'plans-step-done' code as action %}"
        "{{ action }}|{% url 'plans-step-done' code %}"
    ).render(Context({"code": code}))
    mine, django = html.split("|")
    assert mine == django == f"/steps/{code}/done/"


def test_a_script_prefix_is_honoured(prefix):
    code = uuid.uuid4()
    prefix("/careerplan/")
    assert code_urls.code_url("plans-step-detail", code) == f"/careerplan/steps/{code}/"
    prefix("/")
    assert code_urls.code_url("plans-step-detail", code) == f"/steps/{code}/"


def test_each_name_is_reversed_once(monkeypatch):
    code_urls._halves.cache_clear()
    calls = []
    real = code_urls.reverse
    monkeypatch.setattr(code_urls, "reverse", lambda *a, **k: calls.append(a) or real(*a, **k))
    for _ in range(50):
        code_urls.code_url("plans-step-detail", uuid.uuid4())
    assert len(calls) == 1
