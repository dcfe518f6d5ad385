"""The public survey page that email surveys link to: /survey/<signed token>/.

No sign-in: the signed token is the key. Rate-limited per address, CSRF-protected,
and a second answer changes nothing. Shown in the customer's language."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache

from tickets.dashboard.forms import SurveyAnswerForm
from tickets.models import Survey
from tickets.services.surveys import (
    SurveyError,
    survey_answer,
    survey_by_signed_token,
    survey_opt_out,
    survey_wording,
)


def _rate_limited(request) -> bool:
    key = f"survey-page:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=60)
    try:
        hits = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=60)
        hits = 1
    return hits > settings.HELPDESK_SURVEY_RATE_LIMIT_PER_MINUTE


def _language(request, survey: Survey | None) -> str:
    wanted = request.GET.get("lang", "")
    if wanted in dict(settings.LANGUAGES):
        return wanted
    if survey is not None and survey.customer.language[:2] in dict(settings.LANGUAGES):
        return survey.customer.language[:2]
    return translation.get_language() or settings.LANGUAGE_CODE


@never_cache
def survey_page(request, token: str):
    if _rate_limited(request):
        return render(request, "dashboard/survey_message.html", {"kind": "rate_limited"}, status=429)
    try:
        first = survey_by_signed_token(token)
    except signing.SignatureExpired:
        return render(request, "dashboard/survey_message.html", {"kind": "expired"}, status=410)
    except signing.BadSignature:
        return render(request, "dashboard/survey_message.html", {"kind": "unknown"}, status=404)
    # Every question of the same resolution, on one page.
    surveys = list(
        Survey.objects.filter(ticket_id=first.ticket_id, resolution_number=first.resolution_number).order_by("id")
    )
    with translation.override(_language(request, first)):
        if request.method == "POST" and request.POST.get("opt_out"):
            survey_opt_out(customer=first.customer)
            return render(request, "dashboard/survey_message.html", {"kind": "opted_out"})
        forms = []
        status = 200
        for survey in surveys:
            prefix = f"s{survey.pk}"
            data = request.POST if request.method == "POST" and f"{prefix}-score" in request.POST else None
            form = SurveyAnswerForm(data, prefix=prefix, scale=(survey.scale_min, survey.scale_max))
            if data is not None and survey.status != Survey.Status.ANSWERED:
                if form.is_valid():
                    try:
                        survey = survey_answer(
                            survey=survey, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
                        )
                    except SurveyError as exc:
                        form.add_error("score", str(exc))
                if form.errors:
                    status = 400
            question, low_label, high_label = survey_wording(survey.kind)
            forms.append(
                {"survey": survey, "form": form, "question": question, "low_label": low_label, "high_label": high_label}
            )
        answered = all(item["survey"].status == Survey.Status.ANSWERED for item in forms)
        context = {"items": forms, "ticket": first.ticket, "all_answered": answered}
        return render(request, "dashboard/survey.html", context, status=status)
