"""What the user chose for a batch, in plain values: the Send tab's form and the command line's flags alike.

`SendingService.options` turns choices into `SendOptions` (the sender among the user's addresses, the saved
template, the company's archive address...). Some choices are remembered for the next batch (`REMEMBERED`); the
single address, "send again" and "accept the warnings" are not: each is a decision about one batch, and a
remembered one would send the next batch somewhere, or again, without the user asking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from batchmail.sending.checks import WarningCode
from batchmail.sending.compose import Grouping

OVERRIDABLE = frozenset({WarningCode.recently_sent, WarningCode.too_large})


@dataclass(kw_only=True, slots=True)
class SendChoices:
    sender: str = ""  # one of the user's addresses; "" the first of them
    grouping: Grouping = Grouping.per_piece
    zip_attachments: bool = False  # per recipient only
    single_recipient: str = ""  # every mail to this address; "" each contact's own
    template: str = ""  # a saved template's name; "" the one for each piece's type and contact's language
    read_receipt: bool = False
    delivery_receipt: bool = False
    high_priority: bool = False
    cc_sender: bool = False
    auto_bcc: bool = True  # the company's archive address in blind copy, when it has one
    record_on_contact: bool = True
    resend: bool = False  # send again what already went, with the same content, to the same address
    accept_warnings: bool = False  # let the overridable warnings through (sent recently, larger than the account takes)

    @property
    def overrides(self) -> frozenset[WarningCode]:
        """The warnings these choices let through: all overridable ones when accepted, "sent recently" on resend."""
        accepted = OVERRIDABLE if self.accept_warnings else frozenset()
        return accepted | ({WarningCode.recently_sent} if self.resend else frozenset())

    def remembered(self) -> dict[str, Any]:
        """The choices kept for the next batch, as plain JSON values."""
        return {name: _plain(getattr(self, name)) for name in REMEMBERED}

    @classmethod
    def from_remembered(cls, values: Mapping[str, Any]) -> SendChoices:
        """Choices from `remembered()`'s values; a value of the wrong kind (an older version's) is left out."""
        choices = cls()
        for name in REMEMBERED:
            value = values.get(name)
            default = getattr(choices, name)
            if name == "grouping" and isinstance(value, str) and value in Grouping.__members__:
                choices.grouping = Grouping(value)
            elif name != "grouping" and type(value) is type(default):
                setattr(choices, name, value)
        return choices


REMEMBERED = tuple(
    f.name for f in fields(SendChoices) if f.name not in {"single_recipient", "resend", "accept_warnings"}
)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Grouping) else value
