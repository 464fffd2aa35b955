"""How a Python value reads once it has crossed into JavaScript and been coerced to a string."""

from __future__ import annotations

from typing import Any


def js_string(value: Any) -> str:
    """JavaScript's `String(value)` for a converted Python value (`None` -> "null", `True` -> "true")."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
