from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.core.exceptions import ValidationError

from careerplan.dates import DateField
from journals.models import PROMPT, TEXT_MAX_LENGTH, JournalEntry, long_date

TOO_LONG = (
    "Keep an entry under %(max)s characters (this one has %(length)s). "
    "Everything you typed is still here: shorten it a little and save again."
)


class EntryTextMixin:
    def clean_text(self):
        # Browsers send line breaks as CRLF; count and store them as one character.
        text = self.cleaned_data["text"].replace("\r\n", "\n").strip()
        if not text:
            raise ValidationError("Write a few words, however small the step.", code="required")
        if len(text) > TEXT_MAX_LENGTH:
            raise ValidationError(
                TOO_LONG,
                code="max_length",
                params={"max": f"{TEXT_MAX_LENGTH:,}", "length": f"{len(text):,}"},
            )
        return text


def text_field():
    # No max_length on the form field: a browser's maxlength attribute silently cuts a
    # pasted text short, and the person would never know. The length is checked on save.
    return forms.CharField(
        label=PROMPT,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write a few words, however small the step."},
        help_text="Simple formatting works: **bold**, *italic*, lists with “- ”, links.",
    )


def entry_helper(*fields):
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*fields)
    return helper


def mood_field():
    return forms.ChoiceField(
        label="How do you feel about it? (optional)",
        choices=[("", "Rather not say"), *JournalEntry.Mood.choices],
        required=False,
        widget=forms.RadioSelect,
    )


class EntryForm(EntryTextMixin, forms.Form):
    """Write about a day: today by default, an earlier day if wanted, never a later one."""

    date = DateField(
        label="Day",
        help_text="Today, unless you are catching up on an earlier day.",
        error_messages={"required": "Pick the day you are writing about: today or an earlier one."},
    )
    mood = mood_field()
    text = text_field()

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.today = owner.local_today()
        self.fields["date"].set_range(latest=self.today)
        self.fields["date"].initial = self.today
        day = self.initial.get("date", self.today)
        if day != self.today:
            self.fields["text"].label = f"What did you achieve on {long_date(day)}, however small?"
        # The prompt first; the day is there for catching up on an earlier one.
        self.helper = entry_helper(
            "text", InlineRadios("mood"), Field("date", wrapper_class="journal-date")
        )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > self.today:
            raise ValidationError(
                "That day has not come yet where you are (today is %(today)s). "
                "Write about today or an earlier day.",
                code="future_date",
                params={"today": long_date(self.today)},
            )
        return day

    def clean(self):
        cleaned = super().clean()
        day, text = cleaned.get("date"), cleaned.get("text")
        if day is None or text is None:
            return cleaned
        # A second entry for a day is added to the first; refuse here, with the text
        # kept, if the two together would pass the limit.
        existing = JournalEntry.objects.for_owner(self.owner).filter(date=day).first()
        if existing is not None and (error := existing.too_long_with(text)):
            self.add_error("text", error)
        return cleaned


class EntryEditForm(EntryTextMixin, forms.ModelForm):
    mood = mood_field()
    text = text_field()

    class Meta:
        model = JournalEntry
        fields = ["mood", "text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = entry_helper("text", InlineRadios("mood"))


class SearchForm(forms.Form):
    q = forms.CharField(label="Words", max_length=200, required=False)
    start = DateField(label="From", required=False)
    end = DateField(label="To", required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return cleaned

    @property
    def is_empty(self):
        return not any(self.data.get(name) for name in ("q", "start", "end"))
