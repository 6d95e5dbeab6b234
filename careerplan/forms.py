"""What every edit form shares."""

import copy


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


def autofocus_first_error(form):
    """Open the page with the cursor in the form's first refused field (no script
    needed); return the names of the refused fields. Django itself marks each refused
    input aria-invalid and points its aria-describedby at the message."""
    refused = [name for name in form.errors if name in form.fields]
    if refused:
        form.fields[refused[0]].widget.attrs["autofocus"] = True
    return refused
