"""Forms of the GROW sheet: one per box, so each box saves on its own.

The obstacle and option pickers are built from the lists the sheet has already loaded, so a
page with hundreds of options runs no extra query per form, and a code that is not on this
sheet (another person's, or a deleted one) is refused next to the field.
"""

from django import forms
from django.utils.formats import date_format

from careerplan.dates import DateField
from plans.models import GrowSession, Obstacle, Option
from plans.validators import validate_not_past

# An option becomes a step's title when the planner commits to it, and a title holds 200.
OPTION_MAX_LENGTH = 200


def _too_long(what):
    return f"Keep {what} to %(limit_value)d characters (it has %(show_value)d)."


def _squash(text):
    """Collapse runs of spaces and line breaks in a one-line answer."""
    return " ".join(text.split())


class GoalForm(forms.ModelForm):
    class Meta:
        model = GrowSession
        fields = ["goal"]
        labels = {"goal": "Where you are going"}
        help_texts = {
            "goal": "Say it in positive terms, as where you are going rather than what you "
            "are leaving: “I will be running …”, not “I will quit …”. Make it SMART: "
            "specific, measurable, achievable, relevant to you, and with a date.",
        }
        widgets = {"goal": forms.Textarea(attrs={"rows": 3, "maxlength": 1000})}
        error_messages = {
            "goal": {
                "required": "Write your goal: one sentence about where you are going.",
                "max_length": _too_long("the goal"),
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].required = True


class RealityForm(forms.ModelForm):
    class Meta:
        model = GrowSession
        fields = ["reality", "discoveries", "steps_taken"]
        labels = {
            "reality": "Your current situation",
            "discoveries": "What you have found out about yourself",
            "steps_taken": "Positive steps you have already taken",
        }
        help_texts = {
            "reality": "Where you stand today: work, money, time, the people around you.",
            "discoveries": "What you enjoy, what you are good at, what matters to you.",
            "steps_taken": "Count everything, however small: a book read, a call made.",
        }
        widgets = {
            "reality": forms.Textarea(attrs={"rows": 3, "maxlength": 3000}),
            "discoveries": forms.Textarea(attrs={"rows": 3, "maxlength": 3000}),
            "steps_taken": forms.Textarea(attrs={"rows": 3, "maxlength": 3000}),
        }
        error_messages = {
            "reality": {"max_length": _too_long("your situation")},
            "discoveries": {"max_length": _too_long("what you found out")},
            "steps_taken": {"max_length": _too_long("the steps taken")},
        }


class ObstacleForm(forms.ModelForm):
    class Meta:
        model = Obstacle
        fields = ["text", "kind"]
        labels = {"text": "What stands in your way?", "kind": "What kind of obstacle is it?"}
        help_texts = {"text": "One obstacle, in a few words."}
        widgets = {
            "text": forms.TextInput(attrs={"maxlength": 300, "autocomplete": "off"}),
            "kind": forms.RadioSelect,
        }
        error_messages = {
            "text": {
                "required": "Write the obstacle in a few words.",
                "max_length": _too_long("an obstacle"),
            }
        }

    def clean_text(self):
        return _squash(self.cleaned_data["text"])


class ObstaclePicker(forms.CharField):
    """Pick one of this sheet's obstacles (or none); cleans to the Obstacle or None."""

    def __init__(self, obstacles, **kwargs):
        self.obstacles = {str(o.code): o for o in obstacles}
        choices = [("", "None in particular")] + [
            (code, o.text) for code, o in self.obstacles.items()
        ]
        super().__init__(required=False, widget=forms.Select(choices=choices), **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return self.obstacles[value]
        except KeyError:
            raise forms.ValidationError(
                "That obstacle is not on this sheet: pick one from the list.", code="unknown"
            ) from None


class OptionForm(forms.Form):
    """An option brainstormed under one of the three prompts (or edited later)."""

    text = forms.CharField(
        max_length=OPTION_MAX_LENGTH,
        widget=forms.TextInput(attrs={"maxlength": OPTION_MAX_LENGTH, "autocomplete": "off"}),
        error_messages={
            "required": "Write the option in a few words.",
            "max_length": _too_long("an option")
            + " It becomes a step's title if you commit to it.",
        },
    )

    def __init__(self, *args, obstacles, label="Option", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        # With no obstacles listed yet there is nothing to answer: no picker to skip past.
        if obstacles:
            self.fields["obstacle"] = ObstaclePicker(
                obstacles, label="Does it answer an obstacle? (optional)"
            )

    def clean(self):
        cleaned = super().clean()
        cleaned.setdefault("obstacle", None)
        return cleaned

    def clean_text(self):
        return _squash(self.cleaned_data["text"])


class GrowCommitForm(forms.Form):
    """Way forward: commit to an option with a completion date and, if wanted, a reward."""

    option = forms.CharField(
        label="Option to commit to",
        error_messages={"required": "Pick the option you will do."},
    )
    due_date = DateField(
        label="Completion date",
        help_text="The day it will be done by.",
        error_messages={"required": "Give it a completion date: a step with a date gets done."},
    )
    reward = forms.CharField(
        label="Reward (optional)",
        required=False,
        max_length=200,
        help_text="A treat for when it is done: “a bar of chocolate”, “a trip to the cinema”.",
        widget=forms.TextInput(attrs={"maxlength": 200, "autocomplete": "off"}),
        error_messages={"max_length": _too_long("a reward")},
    )

    def __init__(self, *args, options, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.options = {str(o.code): o for o in options}
        self.fields["option"].widget = forms.Select(
            choices=[("", "Choose an option …")]
            + [(code, o.text) for code, o in self.options.items() if o.step_id is None]
        )
        self.fields["due_date"].set_range(earliest=user.local_today())

    def clean_option(self):
        option = self.options.get(self.cleaned_data["option"])
        if option is None:
            raise forms.ValidationError(
                "That option is not on this sheet: pick one from the list.", code="unknown"
            )
        if option.step_id is not None:
            raise already_committed(option)
        return option

    def clean_due_date(self):
        value = self.cleaned_data["due_date"]
        validate_not_past(value, self.user)
        return value

    def clean_reward(self):
        return _squash(self.cleaned_data["reward"])


def already_committed(option):
    step = option.step
    when = f", due {date_format(step.due_date, 'j F Y')}" if step and step.due_date else ""
    return forms.ValidationError(
        "You have already committed to “%(text)s”: it is a step on your plan%(when)s.",
        code="committed",
        params={"text": option.text, "when": when},
    )


OPTION_PROMPTS = [
    (
        Option.Prompt.ELSE,
        "Anything at all, however unlikely: list first, judge later.",
    ),
    (
        Option.Prompt.HELP,
        "A friend, a former colleague, someone already doing the job, a course, a library.",
    ),
    (
        Option.Prompt.SOMEONE,
        "A parent, your best friend, someone you admire, a famous film character.",
    ),
]
