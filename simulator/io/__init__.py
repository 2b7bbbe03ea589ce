"""Reading scenarios: safe YAML with line numbers, loading with ``extends:`` and overrides by
key path, and the JSON Schema for editors."""
