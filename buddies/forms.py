import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from buddies.models import INVITATIONS_PER_DAY, Buddyship
from careerplan.dates import DateField
from careerplan.validators import HEADER_UNSAFE
from plans.models import Plan, State, Step, step_state

# A message is body text: line breaks and tabs are fine, other control characters not.
BODY_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PlanChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.goal


class StepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({obj.due_date:%-d %b %Y})"


class ShareSettingsForm(forms.ModelForm):
    """What a buddy may see and which emails they get."""

    plans = PlanChoiceField(
        queryset=Plan.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Plans to share",
        help_text="Your buddy sees these plans' steps, and nothing of your other plans.",
        error_messages={
            "required": "Choose at least one plan to share.",
            "invalid_choice": "Choose among your own plans.",
            "invalid_pk_value": "Choose among your own plans.",
        },
        to_field_name="code",
    )

    class Meta:
        model = Buddyship
        fields = ["plans", "share_journal", "celebrations", "digest"]
        labels = {
            "share_journal": "Share my Success Journal with this buddy",
            "celebrations": "Email them when I finish a step",
            "digest": "Send them a weekly digest",
        }
        help_texts = {
            "share_journal": "Off unless you turn it on: your journal is private.",
            "celebrations": "They can turn this off themselves.",
        }

    def __init__(self, *args, planner, **kwargs):
        super().__init__(*args, **kwargs)
        self.planner = planner
        # Only the planner's own active plans are choices: a code from anyone else's plan
        # is "not one of the choices", whatever the form sends.
        choices = Q(status=Plan.Status.ACTIVE)
        if self.instance.pk:
            # Keep an archived plan that is still shared listed, so saving does not
            # silently unshare it.
            choices |= Q(buddyships=self.instance)
        self.fields["plans"].queryset = (
            Plan.objects.for_owner(planner).filter(choices).distinct().order_by("-created")
        )


class InviteForm(ShareSettingsForm):
    """Invite a buddy: who they are, a personal word, and what they may see."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # With a single plan there is nothing to choose: tick it.
        choices = list(self.fields["plans"].queryset[:2])
        self.has_plans = bool(choices)
        if len(choices) == 1:
            self.initial.setdefault("plans", [choices[0].code])

    class Meta(ShareSettingsForm.Meta):
        fields = ["name", "email", "message", "plans", "share_journal", "celebrations", "digest"]
        labels = {
            **ShareSettingsForm.Meta.labels,
            "name": "Their name",
            "email": "Their email address",
            "message": "A personal message (optional)",
        }
        help_texts = {
            **ShareSettingsForm.Meta.help_texts,
            "message": "It goes in the invitation, in your words.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "message": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "name": {"required": "Give your buddy's name, so your emails can greet them."},
            "email": {"required": "Give your buddy's email address: the invitation goes there."},
        }

    def clean_name(self):
        # The model field's validator (careerplan.validators) runs after this.
        return self.cleaned_data["name"].strip()

    def clean_email(self):
        email = self.cleaned_data["email"]
        if HEADER_UNSAFE.search(email):
            raise ValidationError("Enter a valid email address.", code="invalid")
        own = {self.planner.email.lower()} | {
            address.lower()
            for address in self.planner.emailaddress_set.values_list("email", flat=True)
        }
        if email.lower() in own:
            raise ValidationError(
                "That is your own address: invite someone who will check up on you.",
                code="self",
            )
        live = Buddyship.objects.live().filter(planner=self.planner, email__iexact=email).first()
        if live is not None and live.status == Buddyship.Status.ACTIVE:
            raise ValidationError(
                f"{live.name} is already your buddy: change what they see from your list of "
                "buddies.",
                code="duplicate",
            )
        if live is not None:
            raise ValidationError(
                f"You have already invited {live.name}: re-send the invitation from your "
                "list of buddies instead.",
                code="duplicate",
            )
        if not Buddyship.invitations_left(self.planner):
            raise ValidationError(
                f"You have invited {INVITATIONS_PER_DAY} people in the last 24 hours: you "
                "can invite more tomorrow.",
                code="too_many",
            )
        return email

    def clean_message(self):
        message = self.cleaned_data["message"].replace("\r\n", "\n").replace("\r", "\n")
        if BODY_UNSAFE.search(message):
            raise ValidationError(
                "Take out the special characters: plain text and line breaks only.",
                code="body_unsafe",
            )
        return message.strip()


class NoteTextForm(forms.Form):
    """A buddy's few words to the planner: a cheer, or an answer from an email."""

    text = forms.CharField(
        label="Add a few words (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_text(self):
        text = self.cleaned_data["text"].replace("\r\n", "\n")
        if BODY_UNSAFE.search(text):
            raise ValidationError("Plain text only, please.", code="body_unsafe")
        return text.strip()


class CheerForm(NoteTextForm):
    """A buddy's cheer: a few words, optionally about one step."""

    step = StepChoiceField(
        queryset=Step.objects.none(),
        required=False,
        to_field_name="code",
        label="About a step (optional)",
        empty_label="Their progress in general",
        error_messages={
            "invalid_choice": "Choose a step from the list: that one was dropped, or it is "
            "not shared with you."
        },
    )

    # The steps offered: those dated within two weeks either side of today, at most 30. A
    # long plan would otherwise draw an <option> per step, most of the page's time.
    CHOICE_WINDOW = datetime.timedelta(days=14)
    CHOICE_LIMIT = 30

    def __init__(self, *args, plans, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Bootstrap's classes on the widgets, so the page can draw the unbound form without
        # crispy's template stack (plans/_field.html); a refused post goes through crispy.
        self.fields["text"].widget.attrs.setdefault("class", "form-control")
        field = self.fields["step"]
        field.widget.attrs.setdefault("class", "form-select")
        # Only action steps of the plans shared with this buddy that still count (a
        # dropped step is no news to cheer): a step code from any other plan, or of a
        # dropped step, is "not one of the choices".
        field.queryset = (
            Step.objects.filter(plan__in=plans)
            .dated()
            .counted()
            .order_by("due_date", "position", "pk")
        )
        if today is not None:
            near = field.queryset.filter(
                due_date__range=(today - self.CHOICE_WINDOW, today + self.CHOICE_WINDOW)
            )[: self.CHOICE_LIMIT]
            # Grouped by the step's state: what to celebrate, and what to wish luck with.
            options = {"Done": [], "Still to do": []}
            for step in near:
                group = "Done" if step_state(step, today) == State.DONE else "Still to do"
                options[group].append((step.code, field.label_from_instance(step)))
            field.choices = [("", field.empty_label)] + [
                (group, choices) for group, choices in options.items() if choices
            ]


class CheckupAnswerForm(forms.Form):
    """The planner's answer to a check-up: done, more time (a new date and why), dropped."""

    class Answer:
        DONE = "done"
        MORE_TIME = "more_time"
        DROPPED = "dropped"

    answer = forms.ChoiceField(
        label="How did it go?",
        choices=[
            (Answer.DONE, "Done!"),
            (Answer.MORE_TIME, "I need more time"),
            (Answer.DROPPED, "I've dropped this step"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one answer."},
    )
    new_date = DateField(
        label="New completion date",
        required=False,
        help_text="Only if you need more time.",
    )
    reason = forms.CharField(
        label="In your words (your buddies will see this)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, step, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        self.today = today
        self.fields["new_date"].set_range(**step.new_date_range(today))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == self.Answer.MORE_TIME:
            new_date = cleaned.get("new_date")
            if new_date:
                # The rule the planner's own reschedule form applies (Step.validate_new_date):
                # not before today in the planner's zone, and not the date it already has.
                try:
                    self.step.validate_new_date(new_date, self.today)
                except ValidationError as error:
                    self.add_error("new_date", error)
            elif "new_date" not in self.errors:
                self.add_error("new_date", "Pick the new completion date.")
            if not cleaned.get("reason"):
                self.add_error("reason", "Say in a few words why you need more time.")
        return cleaned
