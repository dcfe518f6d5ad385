"""The escalation rule form: conditions and actions arrive as JSON from the form
builder (or typed by hand without JavaScript) and are checked by the model's validators."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import EscalationRule


class RuleJSONField(forms.JSONField):
    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false"})

    def prepare_value(self, value):
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, indent=1)


class EscalationRuleForm(forms.ModelForm):
    conditions = RuleJSONField(label=_("Conditions (all must hold)"), initial=list)
    actions = RuleJSONField(label=_("Actions"), initial=list)

    class Meta:
        model = EscalationRule
        fields = ["name", "description", "active", "position", "conditions", "actions"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class SurveyAnswerForm(forms.Form):
    score = forms.TypedChoiceField(label=_("Your answer"), coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Anything to add? (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, scale: tuple[int, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        low, high = scale
        self.fields["score"].choices = [(n, str(n)) for n in range(low, high + 1)]
