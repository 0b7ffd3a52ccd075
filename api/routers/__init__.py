"""One django-ninja Router per resource; api.api mounts them under /api/v1/."""

from api.schemas import Problem

# The errors every operation may answer, for the OpenAPI schema.
ERRORS: dict[int, type] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    422: Problem,
    429: Problem,
}


def responses(ok: int, schema: object) -> dict[int, object]:
    return {ok: schema, **ERRORS}
