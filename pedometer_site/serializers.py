"""Serializer pieces every app's API shares."""

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
