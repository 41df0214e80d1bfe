"""The UI's words. `fr` and `en` hold the shell's and the batch screen's; each later area (a page, a treatment)
keeps its own module with an `FR` and an `EN` dict, listed in `AREAS`, so its words live beside each other."""

from __future__ import annotations

from ui.labels import en, fr, generation, printing, queue, reminders, send, settings, templates

AREAS = (send, queue, templates, settings, printing, generation, reminders)

FRENCH: dict[str, str] = fr.LABELS | {key: text for area in AREAS for key, text in area.FR.items()}
ENGLISH: dict[str, str] = en.LABELS | {key: text for area in AREAS for key, text in area.EN.items()}
