"""Serializer pieces every app's API shares."""

from typing import Any

from django.http import QueryDict
from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo is an error and not a silent no-op."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            # DRF's CharField turns 42 or true into "42" or "True"; the schema says string, so does this.
            not_strings = sorted(
                name
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and data.get(name) is not None
                and not isinstance(data[name], str)
            )
            if not_strings:
                raise serializers.ValidationError({name: ["Not a valid string."] for name in not_strings})
        return super().to_internal_value(data)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    """The validated input of a body or a query string, or a 400 in the error shape."""
    if isinstance(data, QueryDict):
        # A plain dict: on a QueryDict DRF reads `?date=` as "not given" (form
        # semantics) and would answer for a default instead of refusing it.
        data = data.dict()
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
