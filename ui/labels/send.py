"""Words of the send area."""

FR: dict[str, str] = {}

EN: dict[str, str] = {}
