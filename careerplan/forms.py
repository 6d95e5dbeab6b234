"""What every edit form shares."""

import copy

from django import forms
from django.forms.renderers import DjangoTemplates


def editable(instance):
    """Return a copy of `instance` for a ModelForm to edit.

    Validating a ModelForm writes what was typed onto its instance, valid or not: given
    the object itself, a refused form would leave the page around it (heading, title,
    breadcrumbs, the signed-in person's name and zone) showing values never saved. The
    form saves the copy; the view uses what `form.save()` returns.
    """
    return copy.copy(instance)


def posted(request):
    """Return the form data of a POST, None for any other method.

    Not `request.POST or None`: a POST with no form fields (a JSON body, an empty or
    unreadable multipart one) would leave the form unbound, shown blank with a 200 as if
    it were a GET; bound to the empty data it is refused with each field's error (422).
    """
    return request.POST if request.method == "POST" else None


def first_refused(form):
    """The name of the form's first refused field (in the form's order), or None."""
    return next((name for name in form.fields if name in form.errors), None)


class BoundField(forms.BoundField):
    """Every form's fields, as the site draws them (FormRenderer): a refused form opens
    with the cursor in its first refused field, wherever the form is on the page (the
    invitation form under the list of buddies, a GROW sheet's part without JavaScript),
    so the browser scrolls to it and a screen reader starts at the message; no script
    needed. Django itself marks each refused input aria-invalid and points its
    aria-describedby at the message."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors and self.name == first_refused(self.form):
            attrs.setdefault("autofocus", True)
        return attrs


class FormRenderer(DjangoTemplates):
    bound_field_class = BoundField
