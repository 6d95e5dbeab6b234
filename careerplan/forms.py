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
