"""The treatment tabs of the batch page, in their order; a new treatment is one module plus one line here.

Each module exposes `TREATMENT` (ui.treatments.base.Treatment).
"""

from __future__ import annotations

from ui.treatments import generate, printing, remind, send
from ui.treatments.base import Treatment

TREATMENTS: tuple[Treatment, ...] = (send.TREATMENT, generate.TREATMENT, remind.TREATMENT, printing.TREATMENT)
