"""Forms of a step's own actions: quick add, edit, reschedule with a reason, drop."""

from django import forms

from careerplan.dates import DateField
from plans.models import Plan, Step
from plans.validators import validate_not_past


class StepForm(forms.ModelForm):
    """A new action step: small, with a completion date that is not in the past."""

    class Meta:
        model = Step
        fields = ["title", "due_date", "reward", "notes"]
        field_classes = {"due_date": DateField}
        widgets = {
            "title": forms.TextInput(attrs={"maxlength": 200}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"title": "Step", "reward": "Reward (optional)", "notes": "Notes (optional)"}
        help_texts = {
            "title": "Something small you can do in a few days.",
            "reward": "A treat for when it's done: “a trip to the cinema”.",
        }
        error_messages = {
            "title": {
                "required": "Say what the step is.",
                "max_length": "Keep a step to %(limit_value)d characters (it has %(show_value)d): "
                "a smaller step is easier to start.",
            },
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["due_date"].required = True
        self.fields["due_date"].error_messages["required"] = (
            "Give the step a completion date: a small step with a date gets done."
        )
        self.fields["due_date"].set_range(earliest=user.local_today())
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_due_date(self):
        value = self.cleaned_data["due_date"]
        validate_not_past(value, self.user)
        return value


class QuickStepForm(StepForm):
    """The quick add on the dashboard, which also asks which plan the step belongs to."""

    plan = forms.ModelChoiceField(
        queryset=Plan.objects.none(),
        to_field_name="code",
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of your plans."},
    )

    class Meta(StepForm.Meta):
        fields = ["plan", "title", "due_date", "reward"]

    def __init__(self, *args, user, plans=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # Only the person's own active plans: another person's plan code is not a choice.
        self.fields["plan"].queryset = Plan.objects.for_owner(user).active().order_by("-created")
        self.fields["plan"].widget.attrs["class"] = "form-select"
        if plans is not None:
            # The page has the plans already: offer them without asking the database again.
            self.fields["plan"].choices = [(plan.code, str(plan)) for plan in plans]


class StepEditForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["title", "reward", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"title": "Step", "reward": "Reward (optional)", "notes": "Notes (optional)"}
        error_messages = StepForm.Meta.error_messages

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def save(self, commit=True):
        # Only the fields on the form: a check-off or a new date made meanwhile stays.
        self.instance.save(update_fields=self._meta.fields)
        return self.instance


class RescheduleForm(forms.Form):
    due_date = DateField(
        label="New completion date",
        error_messages={"required": "Choose the new completion date."},
    )
    reason = forms.CharField(
        label="Why is it moving?",
        max_length=500,
        help_text="Kept in the step's history, so you can see what got in the way.",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say briefly why the date is moving."},
    )

    def __init__(self, *args, user, step, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.step = user, step
        self.fields["due_date"].set_range(**step.new_date_range(user.local_today()))

    def clean_due_date(self):
        value = self.cleaned_data["due_date"]
        self.step.validate_new_date(value, self.user.local_today())
        return value


class DropForm(forms.Form):
    """Drop a step, with a reason if the planner gives one."""

    reason = forms.CharField(
        label="Why are you dropping it? (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        # The step's page shows this beside the reschedule form, which has a `reason` too:
        # its own ids keep each label on its own field.
        kwargs.setdefault("auto_id", "drop_%s")
        super().__init__(*args, **kwargs)
