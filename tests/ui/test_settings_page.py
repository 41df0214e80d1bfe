"""The settings page as a user works it, without a browser: a bad field named under itself and nothing saved, then
the company renamed and given an archive address, the header following at once; the generation settings saved as
they change."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from batchmail.domain.generation import Transformation
from batchmail.domain.pieces import PieceType
from batchmail.wiring import App
from storage.stores import Stores
from tests.ui.conftest import by_test_id, marked, text_of, wait_for

ARCHIVE = "archives@atelier-martin.fr"


def field(user: User, name: str) -> ui.input:
    [element] = marked(user, f"company-field-{name}")
    assert isinstance(element, ui.input)
    return element


async def test_a_bad_field_is_named_and_nothing_saved_then_the_company_is_renamed(user: User, stores: Stores) -> None:
    await user.open("/settings")
    assert field(user, "name").value == "Atelier Martin"
    assert text_of(user, "company-name") == "Atelier Martin"

    by_test_id(user, "company-field-name").clear().type("Atelier Martin & Fils")
    by_test_id(user, "company-field-archive_bcc").clear().type("archives@")
    by_test_id(user, "company-save").click()
    await user.should_see("1 champ à corriger : rien n'est enregistré")
    assert field(user, "archive_bcc").error == "Adresse e-mail invalide"
    assert field(user, "archive_bcc").value == "archives@"  # what was typed stays to be corrected
    saved = stores.company.get()
    assert saved is not None and (saved.name, saved.archive_bcc) == ("Atelier Martin", "")

    by_test_id(user, "company-field-archive_bcc").clear().type(ARCHIVE)
    by_test_id(user, "company-save").click()
    await user.should_see("Société facturante enregistrée")
    await wait_for(lambda: text_of(user, "company-name") == "Atelier Martin & Fils")  # the header, no reload
    saved = stores.company.get()
    assert saved is not None and (saved.name, saved.archive_bcc) == ("Atelier Martin & Fils", ARCHIVE)
    assert field(user, "archive_bcc").error is None


async def test_the_page_speaks_english_once_chosen(user: User) -> None:
    await user.open("/settings")
    [language] = marked(user, "language")
    assert isinstance(language, ui.select)
    language.value = "en"  # as choosing "English" in the list does
    await user.should_see("Settings", retries=20)
    await user.open("/queue")
    await user.should_see("The queue is empty")


async def test_generation_settings_are_saved_as_they_change(user: User, app: App, stores: Stores) -> None:
    await user.open("/settings")
    by_test_id(user, "generation-quote-order").click()
    await user.should_see("Réglages de génération enregistrés")
    by_test_id(user, "generation-start-as-draft").click()
    await wait_for(lambda: (stores.settings.get("generation") or {}).get("start_as_draft") is False)

    settings = await app.generation.settings()
    assert Transformation(PieceType.quote, PieceType.order) not in settings.enabled
    assert Transformation(PieceType.order, PieceType.invoice) in settings.enabled
    assert settings.start_as_draft is False


async def test_dunning_levels_are_checked_as_a_whole_then_saved(user: User, app: App) -> None:
    await user.open("/settings")
    by_test_id(user, "dunning-add").click()
    await wait_for(lambda: marked(user, "dunning-level-4"))
    [days] = marked(user, "dunning-days-4")
    assert isinstance(days, ui.number) and days.value == 90  # 30 after the last level
    days.value = 45  # before level 3's 60
    by_test_id(user, "dunning-save").click()
    await wait_for(lambda: text_of(user, "dunning-problem"))
    assert text_of(user, "dunning-problem") == "dunning level 4: 45 days overdue, not after level 3's 60"
    assert len((await app.reminders.settings()).levels) == 3  # nothing saved

    days.value = 75
    by_test_id(user, "dunning-minimum-4").clear().type("25,50")
    by_test_id(user, "dunning-save").click()
    await user.should_see("Niveaux de relance enregistrés")
    levels = (await app.reminders.settings()).levels
    assert [(level.days_overdue, str(level.min_amount)) for level in levels[2:]] == [(60, "0"), (75, "25.50")]
