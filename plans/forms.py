from django import forms

from careerplan.dates import DateField
from plans.models import Plan


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["goal", "measure", "relevance", "target_date"]
        field_classes = {"target_date": DateField}
        widgets = {
            "goal": forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
            "measure": forms.Textarea(attrs={"rows": 3}),
            "relevance": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "goal": {
                "required": "Write your goal: one sentence about where you are going.",
                "max_length": "Keep your goal to %(limit_value)d characters "
                "(it has %(show_value)d). Put the detail in the boxes below.",
            },
        }

    def clean_goal(self):
        return " ".join(self.cleaned_data["goal"].split())
