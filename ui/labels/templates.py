"""Words of the templates area."""

FR: dict[str, str] = {}

EN: dict[str, str] = {}
