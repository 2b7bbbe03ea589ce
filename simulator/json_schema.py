"""The JSON Schema of scenario files, for editors (autocompletion and checking as you type).

Pydantic derives it from the schema models; readable numbers (``"30k"``, ``"7T"``, ``"35%"``)
are allowed wherever a number is.
"""

from __future__ import annotations

from typing import Any

from simulator.scenario import Scenario

_READABLE_NUMBER = {"type": "string",
                    "pattern": r"^\s*[+-]?\s*\$?\s*[0-9][0-9_,]*(\.[0-9]+)?([eE][+-]?[0-9]+)?\s*"
                               r"(bn|[kKmMbBtT%])?\s*$"}


def _allow_readable_numbers(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _allow_readable_numbers(v) for k, v in node.items()}
        if node.get("type") == "number":
            rest = {k: v for k, v in node.items() if k not in ("type",)}
            return {"anyOf": [{"type": "number"}, _READABLE_NUMBER], **rest}
        return node
    if isinstance(node, list):
        return [_allow_readable_numbers(v) for v in node]
    return node


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema(mode="validation")
    schema = _allow_readable_numbers(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "AI infrastructure cost scenario"
    schema.setdefault("properties", {})["extends"] = {
        "type": "string", "description": "Parent scenario file this one changes (relative path)."}
    return schema
