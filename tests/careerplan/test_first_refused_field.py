"""Every refused form opens with the cursor in its first refused field, in the form's
order, on every form the site draws (careerplan.forms.BoundField), so the browser scrolls
to it wherever the form is on the page; an accepted or unbound form takes no focus."""

import re

import pytest
from django import forms

from careerplan.forms import first_refused


class Form(forms.Form):
    title = forms.CharField(max_length=5)
    due_date = forms.DateField()
    reward = forms.CharField(max_length=5, required=False)


def focused(form):
    return [name for name in form.fields if "autofocus" in str(form[name])]


def test_the_first_refused_field_in_the_form_s_order_opens_focused():
    form = Form({"title": "Call Maya", "due_date": "9999-99-99", "reward": "chocolate"})
    assert not form.is_valid()
    assert first_refused(form) == "title"
    assert focused(form) == ["title"]


def test_a_later_field_when_the_first_is_fine():
    form = Form({"title": "Call", "due_date": "soon", "reward": "chocolate"})
    assert not form.is_valid()
    assert focused(form) == ["due_date"]


@pytest.mark.parametrize("data", [None, {"title": "Call", "due_date": "2027-01-04"}])
def test_an_unbound_or_accepted_form_takes_no_focus(data):
    form = Form(data)
    if data:
        assert form.is_valid()
    assert focused(form) == []


def test_allauth_and_crispy_forms_are_drawn_with_it_too(client, db):
    response = client.post("/accounts/signup/", {"display_name": "Pat", "email": "not-an-address"})
    assert response.status_code == 422
    [field] = re.findall(r'<input[^>]*name="email"[^>]*>', response.text)
    assert "autofocus" in field
    assert 'aria-invalid="true"' in field
