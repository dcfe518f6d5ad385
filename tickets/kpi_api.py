"""GET /api/v1/kpis/: the supervisors' numbers, for agents and supervisors."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets.models import Channel, Team
from tickets.pagination import DefaultPagination
from tickets.permissions import IsStaffAgent
from tickets.selectors.kpi_rows import METRICS, kpi_detail_row, kpi_detail_rows
from tickets.selectors.kpis import KPIFilters, kpi_summary

# A year of days keeps the daily trend and the range scans reasonable.
MAX_RANGE_DAYS = 366


class KPIQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    date_to = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    team = serializers.IntegerField(required=False, min_value=1)
    agent = serializers.IntegerField(required=False, min_value=1)
    detail = serializers.BooleanField(required=False, default=False)

    def to_internal_value(self, data):
        # `from` is a Python keyword: the query parameters map onto date_from/date_to.
        data = {key: value for key, value in data.items() if value != "" or key == "channel"}
        if "from" in data:
            data["date_from"] = data.pop("from")
        if "to" in data:
            data["date_to"] = data.pop("to")
        return super().to_internal_value(data)

    def validate(self, attrs):
        today = timezone.localdate()
        attrs.setdefault("date_to", today)
        attrs.setdefault("date_from", attrs["date_to"] - timedelta(days=29))
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"from": _("must not be after `to`")})
        if (attrs["date_to"] - attrs["date_from"]).days >= MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"to": _("the range is %(days)d days at most") % {"days": MAX_RANGE_DAYS}}
            )
        if attrs.get("team") and not Team.objects.filter(pk=attrs["team"]).exists():
            raise serializers.ValidationError({"team": _("no team with id %(team)s") % {"team": attrs["team"]}})
        return attrs


def kpi_filters_from(query) -> tuple[KPIFilters, bool]:
    """Validates query parameters (raises ValidationError, a 400) into KPI filters."""
    serializer = KPIQuerySerializer(data=query)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    filters = KPIFilters(
        date_from=data["date_from"],
        date_to=data["date_to"],
        channel=data.get("channel") or None,
        team_id=data.get("team"),
        agent_id=data.get("agent"),
    )
    return filters, data["detail"]


class KPIView(APIView):
    permission_classes = [IsStaffAgent]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); default 29 days before `to`."
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (YYYY-MM-DD); default today."),
            OpenApiParameter("channel", str, enum=Channel.values),
            OpenApiParameter("team", int),
            OpenApiParameter("agent", int, description="The assignee's user id."),
            OpenApiParameter("detail", bool, description="Add the daily trend and the agent table."),
        ],
        responses=OpenApiTypes.OBJECT,
        description="Volume, first response and resolution times (median and p90, wall-clock and business "
        "hours), FCR, reopen and escalation rates, backlog, CSAT, CES and NPS, unrounded. See "
        "tickets/selectors/kpis.py for which date each number is about, and /api/v1/kpis/rows/ for the rows "
        "behind each figure.",
    )
    def get(self, request):
        filters, detail = kpi_filters_from(request.query_params)
        return Response(kpi_summary(filters=filters, detail=detail))


class KPIRowsQuerySerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=METRICS)


class KPIRowsView(APIView):
    """GET /api/v1/kpis/rows/?metric=fcr&from=...&to=...: the rows behind one figure."""

    permission_classes = [IsStaffAgent]

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str, enum=list(METRICS), required=True),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("channel", str, enum=Channel.values),
            OpenApiParameter("team", int),
            OpenApiParameter("agent", int),
            OpenApiParameter("page", int),
        ],
        responses=OpenApiTypes.OBJECT,
        description="Paginated, oldest first. Ticket metrics: each ticket with its replies counted, reopens, "
        "first response and resolution in wall-clock and business seconds, the first repeat contact (channel, "
        "seconds after the resolution), whether it was resolved in a live chat session, `fcr` (null until the "
        "window has passed), `fcr_so_far` and `fcr_reason`. CSAT, CES, NPS: each answer.",
    )
    def get(self, request):
        metric = KPIRowsQuerySerializer(data=request.query_params)
        metric.is_valid(raise_exception=True)
        filters, _detail = kpi_filters_from(request.query_params)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(
            kpi_detail_rows(filters=filters, metric=metric.validated_data["metric"]), request, view=self
        )
        now = timezone.now()
        return paginator.get_paginated_response([kpi_detail_row(item, now=now) for item in page])
