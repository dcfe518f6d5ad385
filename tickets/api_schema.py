"""The OpenAPI schema states the errors every operation can answer, with their body:
what a client must handle, not only the happy path."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong, in the client's language (Accept-Language).")


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False, help_text="Per field."
    )


class AutoSchema(SpectacularAutoSchema):
    def _error_responses(self) -> dict[str, OpenApiResponse]:
        errors = {}
        if self.method in ("POST", "PUT", "PATCH") or self.get_filter_backends() or self._get_paginator():
            errors["400"] = OpenApiResponse(ValidationErrorSerializer, description="Invalid input.")
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            errors["401"] = OpenApiResponse(ErrorSerializer, description="Not signed in, or a wrong token.")
            errors["403"] = OpenApiResponse(ErrorSerializer, description="Signed in, but not allowed.")
        if "{" in self.path:
            errors["404"] = OpenApiResponse(ErrorSerializer, description="No such object.")
        if self.method == "POST" and any(
            getattr(parameter, "name", "") == "Idempotency-Key" for parameter in self.get_override_parameters()
        ):
            errors["409"] = OpenApiResponse(ErrorSerializer, description="The same Idempotency-Key is being processed.")
            errors["422"] = OpenApiResponse(ErrorSerializer, description="The Idempotency-Key was used for another request.")
        errors["429"] = OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After.")
        errors["503"] = OpenApiResponse(ErrorSerializer, description="Briefly unavailable; see Retry-After.")
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
