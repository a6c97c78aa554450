"""Turn a YAML file into a pydantic model, reporting every problem with its file and line."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import Problem
from .yamlio import Located

Model = TypeVar("Model", bound=BaseModel)

# pydantic's wording, rephrased for people who write YAML rather than Python.
_HINTS = {
    "missing": ("is required", "add it"),
    "extra_forbidden": ("is not a known field", "remove it or check its spelling"),
    "string_type": ("must be text", "quote it, e.g. \"3.10\": YAML reads 3.10 as the number 3.1"),
    "list_type": ("must be a list", "write it as a YAML list ('- item' per line)"),
    "model_type": ("must be a mapping", "write it as 'key: value' lines"),
    "dict_type": ("must be a mapping", "write it as 'key: value' lines"),
    "bool_type": ("must be true or false", ""),
    "int_type": ("must be a whole number", ""),
    "too_short": ("must not be empty", "give at least one entry"),
    "literal_error": (None, ""),
    "string_pattern_mismatch": (None, ""),
}


def to_model(model: type[Model], located: Located) -> tuple[Model | None, list[Problem]]:
    if not isinstance(located.data, dict):
        return None, [Problem(located.file, "the file must be a YAML mapping of fields",
                              "see the examples in the README", line=1)]
    try:
        return model.model_validate(located.data), []
    except ValidationError as exc:
        return None, [_problem(located, err) for err in exc.errors()]


def _problem(located: Located, err: dict) -> Problem:
    path = tuple(err["loc"])
    message, hint = _HINTS.get(err["type"], (None, ""))
    if message is None:
        message = err["msg"][0].lower() + err["msg"][1:]
    if err["type"] == "value_error":
        message = str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
        message, _, hint = message.partition(" -- ")
    return located.problem(path, message, hint)
