"""Every label the UI asks for exists in French and in English, and both languages have the same keys."""

from __future__ import annotations

import re
from pathlib import Path

from batchmail.domain.reminders import REASONS
from ui.labels import AREAS, ENGLISH, FRENCH, fr

UI = Path(__file__).resolve().parents[2] / "ui"
# i18n.t("key"), i18n.count_of("key", ...), label_key="key" and the "…_key" tuples of the pages
_USED = re.compile(r"""(?:\bt|count_of|_key=|label_key=)\(?\s*["']([a-z_]+\.[a-z_.]+)["']""")


def test_both_languages_have_the_same_keys() -> None:
    assert set(FRENCH) == set(ENGLISH)
    assert all(FRENCH.values()) and all(ENGLISH.values())


def test_every_literal_key_used_in_the_ui_exists() -> None:
    used = {key for path in UI.rglob("*.py") for key in _USED.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 50
    assert sorted(used - set(FRENCH)) == []


def test_placeholders_are_the_same_in_both_languages() -> None:
    names = re.compile(r"{(\w+)}")
    for key, text in FRENCH.items():
        assert set(names.findall(text)) == set(names.findall(ENGLISH[key])), key


def test_no_area_redefines_a_word_of_another() -> None:
    seen: set[str] = set(fr.LABELS)
    for area in AREAS:
        assert set(area.FR) == set(area.EN), area.__name__
        assert not seen & set(area.FR), area.__name__
        seen |= set(area.FR)


def test_every_reason_a_reminder_waits_is_worded_with_its_values() -> None:
    for code, english in REASONS.items():
        for labels in (FRENCH, ENGLISH):
            worded = labels[f"remind.why.{code}"]
            assert set(re.findall(r"{(\w+)}", worded)) == set(re.findall(r"{(\w+)}", english)), code
