"""OpenAPI post-processing: every operation documents the shared error shape."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code, e.g. validation_error."},
                "message": {"type": "string", "description": "A sentence a person can read."},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "For validation errors: each field to its messages (nested for lists).",
                },
                "retry_after": {"type": "integer", "description": "Seconds to wait before retrying (429)."},
            },
        }
    },
}

_ERROR_STATUSES = {
    "400": "Bad input; `fields` names what is wrong.",
    "401": "Not signed in, or the token is invalid or expired.",
    "403": "Signed in, but not allowed.",
    "404": "No such thing (or not visible to you).",
    "413": "Request body too large.",
    "429": "Too many requests; `Retry-After` says when to retry.",
    "503": "A dependency is down; retry after `Retry-After`.",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in components.items():
        # Input serializers are StrictSerializers: an unknown field is a 400, so
        # the request bodies say so (found by the schema fuzz, which sent them).
        if name.endswith("Request") and component.get("type") == "object" and "properties" in component:
            component.setdefault("additionalProperties", False)
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                # A view that names an extra error status (409 and the like) gives only its description.
                if code[0] in "45" and "content" not in response:
                    response["content"] = {"application/json": {"schema": ref}}
            for code, description in _ERROR_STATUSES.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result
