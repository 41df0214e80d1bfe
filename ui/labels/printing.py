"""Words of the printing area."""

FR: dict[str, str] = {}

EN: dict[str, str] = {}
