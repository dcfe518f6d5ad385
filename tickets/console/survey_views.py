"""Supervisors' page in the console for the survey questions: which of CSAT, CES and
NPS are asked after a resolution, in what order, for the whole helpdesk and per team."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tickets.console.views import supervisor_required
from tickets.models import Survey, Team
from tickets.services import survey_plans

QUESTION_SLOTS = len(Survey.Kind.values)


class SurveyPlanForm(forms.Form):
    """The team (none: the whole helpdesk) and its questions, posted in order as `question`."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False,
        error_messages={"invalid_choice": gettext_lazy("This team does not exist.")},
    )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        # Empty slots ("no question") close up: "CSAT, none, NPS" asks CSAT then NPS.
        kinds = [kind.strip() for kind in self.data.getlist("question") if kind.strip()]
        try:
            cleaned["kinds"] = survey_plans.survey_plan_check(kinds)
        except survey_plans.SurveyPlanError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return cleaned


def _page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    rows = [
        {"row": row, "slots": [row.kinds[i] if i < len(row.kinds) else "" for i in range(QUESTION_SLOTS)]}
        for row in survey_plans.survey_plan_overview()
    ]
    context = {"rows": rows, "kinds": Survey.Kind.choices, "error": error}
    return render(request, "console/survey_settings.html", context, status=status)


def _first_error(form: forms.Form) -> str:
    return next(iter(error for errors in form.errors.values() for error in errors), _("Check the questions."))


@require_http_methods(["GET", "POST"])
@supervisor_required
def survey_settings_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    form = SurveyPlanForm(request.POST)
    if not form.is_valid():
        return _page(request, error=_first_error(form), status=400)
    survey_plans.survey_plan_save(team=form.cleaned_data["team"], kinds=form.cleaned_data["kinds"], user=request.user)
    messages.success(request, _("Survey questions saved."))
    return redirect("console:survey-settings")


@require_POST
@supervisor_required
def survey_plan_reset(request: HttpRequest) -> HttpResponse:
    form = SurveyPlanForm(request.POST)
    form.is_valid()  # only the team matters here
    if "team" in form.errors:
        return _page(request, error=_first_error(form), status=400)
    team = form.cleaned_data.get("team")
    survey_plans.survey_plan_reset(team=team)
    if team is None:
        messages.success(request, _("The helpdesk asks the default questions again."))
    else:
        messages.success(request, _("%(team)s asks the helpdesk's questions again.") % {"team": team.name})
    return redirect("console:survey-settings")
