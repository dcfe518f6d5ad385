"""The REST API of canned responses: /api/v1/canned-responses/. Agents list the
ones they can use (shared, their teams', their own) and manage them under the
same rules as in the console."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from tickets.models import CannedResponse, Team
from tickets.selectors.console import canned_scope, canned_search
from tickets.services import canned


class ScopeField(serializers.ChoiceField):
    """Stored as an owner or a team (or neither), read and written as a word."""

    def get_attribute(self, instance: CannedResponse) -> str:
        return canned_scope(instance)


class CannedResponseSerializer(serializers.ModelSerializer):
    scope = ScopeField(
        choices=[(scope, scope) for scope in canned.CANNED_SCOPES],
        help_text=_("personal (only you), team (the members of `team`) or shared (everyone)."),
    )
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True, allow_null=True)

    class Meta:
        model = CannedResponse
        fields = ["id", "title", "body", "scope", "team", "owner", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]


class CannedResponseViewSet(viewsets.ModelViewSet):
    serializer_class = CannedResponseSerializer
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return canned_search(user=self.request.user, query=self.request.query_params.get("q", "")[:200])

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Words of the title or the text.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _save(self, request, *, instance: CannedResponse | None, partial: bool = False) -> Response:
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        current = canned_scope(instance) if instance is not None else "personal"
        fields = {
            "title": data.get("title", instance.title if instance else ""),
            "body": data.get("body", instance.body if instance else ""),
            "scope": data.get("scope", current),
            "team": data.get("team", instance.team if instance else None),
        }
        created = instance is None
        try:
            if created:
                instance = canned.canned_create(user=request.user, **fields)
            else:
                instance = canned.canned_update(response=instance, user=request.user, **fields)
        except canned.CannedResponseError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(
            self.get_serializer(instance).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def create(self, request, *args, **kwargs):
        return self._save(request, instance=None)

    def update(self, request, *args, **kwargs):
        return self._save(request, instance=self.get_object(), partial=kwargs.get("partial", False))

    def destroy(self, request, *args, **kwargs):
        try:
            canned.canned_delete(response=self.get_object(), user=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
