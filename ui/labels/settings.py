"""Words of the settings area."""

FR: dict[str, str] = {}

EN: dict[str, str] = {}
