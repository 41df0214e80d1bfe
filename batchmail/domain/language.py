"""The languages BatchMail writes documents and mails in: a contact's, the issuing company's, a template's."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    fr = "fr"  # français
    en = "en"  # English
    nl = "nl"  # Nederlands (Belgian customers)
