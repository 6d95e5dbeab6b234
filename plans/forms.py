from django import forms

from plans.models import Plan


class DateInput(forms.DateInput):
    """A native date picker; the server still parses and checks whatever is sent."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["goal", "measure", "relevance", "target_date"]
        widgets = {
            "goal": forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
            "measure": forms.Textarea(attrs={"rows": 3}),
            "relevance": forms.Textarea(attrs={"rows": 3}),
            "target_date": DateInput(),
        }
        error_messages = {
            "goal": {
                "required": "Write your goal: one sentence about where you are going.",
                "max_length": "Keep your goal to %(limit_value)d characters "
                "(it has %(show_value)d). Put the detail in the boxes below.",
            },
            "target_date": {"invalid": "Enter a real date, like 2027-06-30."},
        }

    def clean_goal(self):
        return " ".join(self.cleaned_data["goal"].split())
