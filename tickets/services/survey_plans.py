"""Which survey questions a team asks after a resolution, and in what order.

A team's own plan wins; else the helpdesk-wide plan; else HELPDESK_SURVEY_KINDS.
Every channel reads the plan through `survey_plan_kinds` when it asks a question,
so a change applies to the next resolution (and to the next question of a
conversation already under way)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import Survey, SurveyPlan, Team


class SurveyPlanError(ValueError):
    pass


def survey_default_kinds() -> list[str]:
    """The questions of the settings: known kinds only, each once, CSAT if none is left."""
    kinds = [kind for kind in settings.HELPDESK_SURVEY_KINDS if kind in Survey.Kind.values]
    return list(dict.fromkeys(kinds)) or [Survey.Kind.CSAT]


def survey_plan_kinds(*, team_id: int | None = None) -> list[str]:
    """The questions asked after a resolution of this team's ticket, in their order (one query)."""
    scope = Q(team__isnull=True) if team_id is None else Q(team_id=team_id) | Q(team__isnull=True)
    # The team's own plan sorts before the helpdesk-wide one (NULL last).
    plan = SurveyPlan.objects.filter(scope).order_by(F("team_id").asc(nulls_last=True)).values_list("kinds", flat=True).first()
    return list(plan) if plan else survey_default_kinds()


def survey_plan_check(kinds: list[str]) -> list[str]:
    """Raises SurveyPlanError unless the questions are known, each asked once, at least one."""
    if not kinds:
        raise SurveyPlanError(_("Choose at least one question."))
    unknown = [kind for kind in kinds if kind not in Survey.Kind.values]
    if unknown:
        raise SurveyPlanError(_("Unknown question: %(kind)s.") % {"kind": ", ".join(map(str, unknown))})
    if len(set(kinds)) != len(kinds):
        raise SurveyPlanError(_("Each question can be asked only once."))
    return list(kinds)


@transaction.atomic
def survey_plan_save(*, team: Team | None, kinds: list[str], user) -> SurveyPlan:
    """Sets the questions of a team, or of the whole helpdesk when team is None."""
    kinds = survey_plan_check(kinds)
    plan = SurveyPlan.objects.select_for_update().filter(team=team).first()
    if plan is None:
        # A concurrent first save meets the unique constraint and lands here as an update.
        plan, _created = SurveyPlan.objects.get_or_create(team=team, defaults={"kinds": kinds, "updated_by": user})
    plan.kinds, plan.updated_by, plan.updated_at = kinds, user, timezone.now()
    plan.save(update_fields=["kinds", "updated_by", "updated_at"])
    return plan


def survey_plan_reset(*, team: Team | None) -> None:
    """A team goes back to the helpdesk-wide questions; the helpdesk to the settings'."""
    SurveyPlan.objects.filter(team=team).delete()


@dataclass(frozen=True)
class SurveyPlanRow:
    team: Team | None
    kinds: list[str]
    inherited: bool


def survey_plan_overview() -> list[SurveyPlanRow]:
    """The helpdesk-wide questions, then every team's (own or inherited): two queries."""
    plans = {plan.team_id: list(plan.kinds) for plan in SurveyPlan.objects.all()}
    helpdesk = plans.get(None) or survey_default_kinds()
    rows = [SurveyPlanRow(team=None, kinds=helpdesk, inherited=None not in plans)]
    for team in Team.objects.order_by("name"):
        rows.append(SurveyPlanRow(team=team, kinds=plans.get(team.pk, helpdesk), inherited=team.pk not in plans))
    return rows
