"""Words of the queue area."""

FR: dict[str, str] = {}

EN: dict[str, str] = {}
