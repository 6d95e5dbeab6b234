from django import forms

from personaldata.importing import MAX_UPLOAD_BYTES, ImportRefused, is_empty, read_archive


class ImportForm(forms.Form):
    """Restore an archive into this (empty) account."""

    archive = forms.FileField(
        label="Your careerplan archive (.zip)",
        help_text=f"The zip you downloaded, as it is; at most {MAX_UPLOAD_BYTES // 2**20} MB.",
        error_messages={
            "required": "Choose the archive to restore.",
            "empty": "That file is empty.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def __init__(self, *args, user, allowed=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # False when the person has tried too often lately: refused before it is read.
        self.allowed = allowed

    def clean_archive(self):
        if not self.allowed:
            raise forms.ValidationError(
                "You have tried to restore an archive several times in the last hour. "
                "Please wait a while and try again.",
                code="throttled",
            )
        # Checked again under a lock when restoring; here so the message is next to
        # the field before any work is done.
        if not is_empty(self.user):
            raise forms.ValidationError(
                "Your account already has plans or journal entries. An archive can only be "
                "restored into an empty account.",
                code="not_empty",
            )
        try:
            self.data_read = read_archive(self.cleaned_data["archive"])
        except ImportRefused as error:
            raise forms.ValidationError(str(error), code="refused") from error
        return self.cleaned_data["archive"]


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: my account and everything in it will be deleted, and this "
        "cannot be undone.",
        error_messages={"required": "Tick the box to confirm that you want to delete it."},
    )
