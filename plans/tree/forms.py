"""Forms of the reverse-engineering tree. Each validates against the tree loaded for the
request (limits, descendants); its save() is one call to the Plan or Step method that
makes the change."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.text import Truncator

from careerplan.dates import DateField
from plans.models import Step
from plans.steps.forms import StepEditForm
from plans.tree.tree import MAX_CHILDREN, describe, latest_commit_date
from plans.validators import validate_not_past

TITLE_MAX = Step._meta.get_field("title").max_length
NOTES_MAX = Step._meta.get_field("notes").max_length
REWARD_MAX = Step._meta.get_field("reward").max_length
GOAL = "goal"


class TreeDateForm(forms.Form):
    """Answer “Yes, within a week”: give a step a completion date within seven days.

    Asked of the goal itself, the answer becomes one action step directly under it, so
    the form also asks what that step is.
    """

    title = forms.CharField(
        label="Your action step",
        max_length=TITLE_MAX,
        help_text="Say it as something you will do.",
        error_messages={"required": "Say what you will do."},
    )
    due_date = DateField(
        label="Completion date",
        error_messages={"required": "Pick the day you will do it."},
    )

    reward = forms.CharField(
        label="Reward (optional)",
        max_length=REWARD_MAX,
        required=False,
        help_text="A treat for when it's done: “a bar of chocolate”.",
    )

    def __init__(self, *args, user, tree, node, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.tree = tree
        self.node = node
        if node.is_goal:
            self.fields["title"].initial = Truncator(tree.plan.goal).chars(TITLE_MAX)
        else:
            del self.fields["title"]
        today = user.local_today()
        latest = latest_commit_date(today)
        self.fields["due_date"].set_range(today, latest)
        self.fields["due_date"].help_text = (
            f"Any day from today to {date_format(latest, 'l j F')}: "
            "a date you can keep is better than an ambitious one."
        )

    def clean_title(self):
        problem = self.tree.problem_adding(self.tree.goal, 1)
        if problem:
            raise ValidationError(problem, code="limit")
        return self.cleaned_data["title"]

    def clean_due_date(self):
        value = self.cleaned_data["due_date"]
        if self.node.is_closed:
            raise ValidationError(
                "This step is %(status)s already, so it needs no date. Reopen it from the "
                "step's own page if there is more to do.",
                code="closed",
                params={"status": self.node.step.get_status_display().lower()},
            )
        if self.node.is_dated:
            raise ValidationError(
                "This step already has its completion date (%(date)s). To change it, "
                "reschedule it from the step's own page, so the reason is kept.",
                code="dated",
                params={"date": date_format(self.node.step.due_date, "l j F")},
            )
        validate_not_past(value, self.user)
        latest = latest_commit_date(self.user.local_today())
        if value > latest:
            raise ValidationError(
                "That is more than a week away (the latest is %(latest)s). If it cannot be "
                "done within a week, answer “No, something comes first” and break it down.",
                code="beyond_week",
                params={"latest": date_format(latest, "l j F")},
            )
        return value

    def save(self):
        """Return the action step: the one asked about, or a new one for the goal."""
        due_date, reward = self.cleaned_data["due_date"], self.cleaned_data["reward"].strip()
        if self.node.is_goal:
            return self.tree.plan.add_step(
                self.cleaned_data["title"], due_date, source=Step.Source.TREE, reward=reward
            )
        self.node.step.commit(due_date, reward=reward)
        return self.node.step


class AnswersForm(forms.Form):
    """Answer “No, something comes first”: the answers to “What would I have to have done
    first?”, one per line, each becoming a step under the one asked about."""

    answers = forms.CharField(
        label="What would I have to have done first?",
        # Bounded so a pasted book is refused before it is split into lines.
        max_length=(TITLE_MAX + 2) * MAX_CHILDREN,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            f"One answer per line. Write down everything that comes to mind, big or small: "
            f"you will ask the same question of each. Up to {MAX_CHILDREN} under one step."
        ),
        error_messages={"required": "Write at least one answer, one per line."},
    )

    def __init__(self, *args, tree, node, **kwargs):
        super().__init__(*args, **kwargs)
        self.tree = tree
        self.node = node

    def clean_answers(self):
        lines = [line.strip() for line in self.cleaned_data["answers"].splitlines()]
        titles = [line for line in lines if line]
        if not titles:
            raise ValidationError("Write at least one answer, one per line.", code="required")
        too_long = [
            number for number, title in enumerate(titles, start=1) if len(title) > TITLE_MAX
        ]
        if too_long:
            raise ValidationError(
                "Keep each answer under %(max)d characters (answer %(which)s is longer). "
                "Put the detail in the step's notes afterwards.",
                code="too_long",
                params={"max": TITLE_MAX, "which": ", ".join(map(str, too_long))},
            )
        problem = self.tree.problem_adding(self.node, len(titles))
        if problem:
            raise ValidationError(problem, code="limit")
        return titles

    def save(self):
        parent = self.node.step
        return [
            self.tree.plan.add_step(title, source=Step.Source.TREE, parent=parent)
            for title in self.cleaned_data["answers"]
        ]


class TreeStepEditForm(StepEditForm):
    """A tree node's title and notes; its date and reward are set on the step's page."""

    class Meta(StepEditForm.Meta):
        fields = ["title", "notes"]
        labels = {"title": "Title", "notes": "Notes"}
        help_texts = {"notes": "Anything that helps: who to ask, where to look, what it needs."}
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}
        error_messages = {"title": {"required": "Give the step a title."}}


class MoveForm(forms.Form):
    """Move a step, with everything under it, under another step of the plan or the goal."""

    parent = forms.CharField(
        label="Put it under",
        widget=forms.Select,
        error_messages={"required": "Choose where it goes from the list."},
    )

    def __init__(self, *args, tree, node, **kwargs):
        super().__init__(*args, **kwargs)
        self.tree = tree
        self.node = node
        targets = tree.move_targets(node)
        self.has_places = bool(targets)
        self.fields["parent"].widget.choices = [("", "Choose where it goes …")] + [
            (GOAL if target.is_goal else str(target.step.code), label_in_tree(target))
            for target in targets
        ]
        # Pressing Move at once must not file the branch under whatever comes first: only
        # the goal is offered ready chosen, and only when moving there is a real move
        # (move_targets leaves out the step's own parent and every place it cannot go).
        if any(target.is_goal for target in targets):
            self.fields["parent"].initial = GOAL

    def target_code(self):
        """Return the posted step code, or None for the goal or nothing chosen."""
        value = (self.data.get(self.add_prefix("parent")) or "").strip()
        return None if value in ("", GOAL) else value

    def clean_parent(self):
        target = self.cleaned_data["target"] = self.resolve_target()
        if target is self.node.parent:
            raise ValidationError("It is already there. Choose another place.", code="same")
        problem = self.tree.problem_moving(self.node, target)
        if problem:
            raise ValidationError(problem, code="not_allowed")
        return target

    def resolve_target(self):
        """Return the chosen node (the view answers 404 for a code outside this plan)."""
        code = self.target_code()
        if code is None:  # the goal: an empty choice never gets this far (required)
            return self.tree.goal
        try:
            target = self.tree.find(uuid.UUID(code))
        except ValueError:
            target = None
        if target is None:
            raise ValidationError("Choose a place from the list.", code="invalid_choice")
        return target

    def save(self):
        self.node.step.move_under(self.cleaned_data["target"].step)
        return self.node.step


class ReorderForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Move up"), ("down", "Move down")])


class DeleteForm(forms.Form):
    """Delete a step; if steps hang under it, say and choose what becomes of them."""

    LIFT = "lift"
    CASCADE = "delete"

    children = forms.ChoiceField(
        label="What should happen to the steps under it?",
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, tree, node, **kwargs):
        super().__init__(*args, **kwargs)
        self.tree = tree
        self.node = node
        below = sum(1 for _ in node.walk())
        if node.children:
            self.fields["children"].required = True
            self.fields["children"].initial = self.LIFT
            self.fields["children"].choices = [
                (
                    self.LIFT,
                    f"Move them up to {describe(node.parent, lower=True)}, in its place "
                    f"(nothing else is deleted)",
                ),
                (
                    self.CASCADE,
                    f"Delete them too ({below} step{'s' if below != 1 else ''} "
                    f"in all, with everything under them)",
                ),
            ]
            self.fields["children"].error_messages["required"] = (
                "Choose what should happen to the steps under it."
            )
        else:
            self.fields["children"].widget = forms.HiddenInput()

    def clean_children(self):
        choice = self.cleaned_data["children"]
        if self.node.children and choice == self.LIFT:
            problem = self.tree.problem_lifting(self.node)
            if problem:
                raise ValidationError(problem, code="limit")
        return choice

    def save(self):
        """Delete the step: its own steps move up into its place, unless they go with it
        (the foreign key cascades)."""
        if self.node.children and self.cleaned_data["children"] == self.LIFT:
            self.node.step.delete_lifting_children()
        else:
            self.node.step.delete()


def label_in_tree(node):
    """A choice label that shows a node's place: indented by its depth."""
    if node.is_goal:
        return "Your goal (top level)"
    return f"{'— ' * (node.depth - 1)}{node.step.title}"
