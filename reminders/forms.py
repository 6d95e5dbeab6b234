"""The Reminders page's forms: one per reminder, and a browser's push subscription."""

from django import forms

from reminders import push
from reminders.models import Kind, Reminder

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]

# What each switch says, and what its time means.
SWITCHES = {
    Kind.WEEKLY: (
        "Send me my weekly plan",
        "Last week's done steps and rewards, this week's steps, anything overdue, and your "
        "journal streak.",
    ),
    Kind.MORNING: (
        "Send me a morning email on days a step is due",
        "The steps due that day or overdue, each with one-click “Done” and “Give me more "
        "time”. Nothing on days with nothing due.",
    ),
    Kind.NEXT_STEP: (
        "Nudge me when a plan has no small step in the next week",
        "“What's your next small step?”, with a link straight to the plan's next question. "
        "At most once a week per plan.",
    ),
    Kind.JOURNAL: (
        "Remind me to write in my journal in the evening",
        "Only on days you have not written yet.",
    ),
}


class ReminderForm(forms.ModelForm):
    """A reminder's switch, time (in the planner's zone) and, for the weekly plan, day."""

    enabled = forms.BooleanField(required=False)
    at = forms.TimeField(
        label="Time",
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "Give a time, like 07:30.",
            "invalid": "Enter a time from 00:00 to 23:59, like 07:30.",
        },
    )
    weekday = forms.TypedChoiceField(
        label="Day",
        choices=WEEKDAYS,
        coerce=int,
        error_messages={
            "required": "Choose a day of the week.",
            "invalid_choice": "Choose a day of the week, Monday to Sunday.",
        },
    )

    class Meta:
        model = Reminder
        fields = ["enabled", "at", "weekday"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label, help_text = SWITCHES[self.instance.kind]
        self.fields["enabled"].label, self.fields["enabled"].help_text = label, help_text
        if self.instance.kind != Kind.WEEKLY:
            del self.fields["weekday"]
        self.fields["at"].widget.attrs["class"] = "form-control"
        if "weekday" in self.fields:
            self.fields["weekday"].widget.attrs["class"] = "form-select"

    def save(self, commit=True):
        data = self.cleaned_data
        self.instance.change(data["enabled"], data["at"], data.get("weekday"))
        return self.instance


class PushSubscriptionForm(forms.Form):
    """What a browser's pushManager.subscribe() gave the page's script."""

    endpoint = forms.URLField(max_length=500, validators=[push.validate_endpoint])
    p256dh = forms.CharField(max_length=100)
    auth = forms.CharField(max_length=50)

    def clean(self):
        data = super().clean()
        if "p256dh" in data and "auth" in data:
            push.validate_keys(data["p256dh"], data["auth"])
        return data
