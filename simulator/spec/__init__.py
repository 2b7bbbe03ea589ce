"""What a scenario is: readable quantities, distribution families, claims and the validated
Scenario schema (the only place input is checked)."""
