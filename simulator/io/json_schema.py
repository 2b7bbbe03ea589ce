"""The JSON Schema of scenario files, for editors (autocompletion and checking as you type).

Pydantic derives it from the schema models; the shorthands that validators accept before the
models see them are added here so that an editor accepts every file ``simulate`` accepts:
readable numbers (``"30k"``, ``"7T"``, ``"35%"``) wherever a number is, a plain number where a
distribution is, one share mapping for all years, one number for a lease share, and claims in
their text form.
"""

from __future__ import annotations

from typing import Any

from simulator.spec.quantities import readable_number_pattern
from simulator.spec.scenario import Scenario

_READABLE_NUMBER = {"type": "string", "pattern": readable_number_pattern()}
_NUMBER = {"anyOf": [{"type": "number"}, _READABLE_NUMBER]}


def _allow_readable_numbers(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _allow_readable_numbers(v) for k, v in node.items()}
        if node.get("type") == "number":
            rest = {k: v for k, v in node.items() if k not in ("type", "ge", "le", "gt", "lt")}
            return {"anyOf": [{"type": "number"}, _READABLE_NUMBER], **rest}
        if node.get("discriminator", {}).get("propertyName") == "dist":
            # a distribution may also be written as a plain (readable) number; the field's
            # description, unit and ranges (x-unit, x-usual-range, x-physical-range) stay on
            # the field, where editors show them
            shown = {k: v for k, v in node.items() if k == "description" or k.startswith("x-")}
            return {**shown, "anyOf": [{"type": "number"}, _READABLE_NUMBER, node]}
        return node
    if isinstance(node, list):
        return [_allow_readable_numbers(v) for v in node]
    return node


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file."""
    schema = _allow_readable_numbers(Scenario.model_json_schema(mode="validation"))
    defs = schema["$defs"]
    strategy = defs["Strategy"]["properties"]
    strategy["shares"]["additionalProperties"] = {
        "anyOf": [_NUMBER, {"type": "object", "additionalProperties": _NUMBER}]}
    strategy["lease_share"] = {
        "description": strategy["lease_share"].get("description", ""),
        "anyOf": [_NUMBER, {"type": "object", "additionalProperties": _NUMBER}]}
    claims = schema["properties"]["claims"]
    claims["items"] = {"anyOf": [{"type": "string"}, claims["items"]]}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "AI infrastructure cost scenario"
    schema.setdefault("properties", {})["extends"] = {
        "type": "string", "description": "Parent scenario file this one changes (relative path)."}
    return schema
