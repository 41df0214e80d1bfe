"""The templates page as a user works it, without a browser: the French invoice template edited, an unknown keyword
refused without losing the text, fixed, previewed on a real invoice and saved; the next send uses it."""

from __future__ import annotations

import asyncio

import pytest
from nicegui.testing import User

from batchmail.domain.language import Language
from batchmail.domain.reminders import DunningLevel, DunningSettings
from batchmail.domain.selection import Criteria
from batchmail.errors import InvalidInput
from batchmail.sending.template_runner import RENDER_SECONDS
from batchmail.sending.template_sandbox import ProblemKind
from batchmail.sending.templates import MessageTemplate, TemplateUse
from batchmail.services.templates import Origin
from batchmail.wiring import App
from storage.stores import Stores
from tests.sendkit import preview
from tests.ui.conftest import by_test_id, text_of, wait_for

REFUSED = "Votre facture %NUMERO% du %DATEFACT%"
FIXED = "Votre facture %NUMFACT% du %DATEFACT%"


async def test_edit_refuse_an_unknown_keyword_fix_save_and_send_with_it(user: User, app: App, stores: Stores) -> None:
    await user.open("/templates")
    assert text_of(user, "slot-invoice-fr-origin") == "intégré"
    by_test_id(user, "slot-invoice-fr").click()
    await wait_for(lambda: text_of(user, "preview-subject").startswith("Facture n° FA-"))  # the built-in one

    by_test_id(user, "template-subject").clear().type(REFUSED)
    by_test_id(user, "template-save").click()
    await wait_for(lambda: text_of(user, "template-problem"))
    assert text_of(user, "template-problem") == (
        "Mot-clé inconnu %NUMERO% (objet, ligne 1) : choisissez-en un dans la liste."
    )
    assert stores.templates.all() == []  # refused: nothing saved, the text kept to be fixed

    by_test_id(user, "template-subject").clear().type(FIXED)
    await wait_for(lambda: text_of(user, "preview-subject").startswith("Votre facture FA-"))
    assert " du " in text_of(user, "preview-subject") and "%" not in text_of(user, "preview-subject")
    by_test_id(user, "template-save").click()
    await wait_for(lambda: text_of(user, "slot-invoice-fr-origin") == "enregistré")
    [saved] = stores.templates.all()
    assert saved.subject == FIXED

    planned = await preview(app, await app.workspace.matching_ids(Criteria()))
    assert planned.messages and all(m.subject.startswith("Votre facture FA-") for m in planned.messages)


async def test_the_app_answers_while_a_hostile_template_is_checked(user: User, app: App, stores: Stores) -> None:
    hostile = MessageTemplate(name="Piège", subject="x", body="{{ ([[1] * 9999] * 9999)|sum(start=[])|length }}")
    loop = asyncio.get_running_loop()
    started = loop.time()
    checking = asyncio.ensure_future(app.templates.check(hostile))
    await user.open("/queue")  # typed into the editor, checked: the rest of the app does not wait for it
    await user.should_see("La file d'attente est vide")
    assert not checking.done() and loop.time() - started < RENDER_SECONDS
    problem = await checking
    assert problem is not None and problem.kind is ProblemKind.limit
    assert problem.detail == f"the body took more than {RENDER_SECONDS:g} s to write"
    with pytest.raises(InvalidInput, match="took more than"):
        await app.templates.save(hostile)
    assert stores.templates.all() == []


async def test_a_reminder_template_of_its_own_for_a_level_and_a_fourth_level_to_write(
    user: User, app: App, stores: Stores
) -> None:
    await app.reminders.save_settings(
        DunningSettings(levels=(*DunningSettings().levels, DunningLevel(days_overdue=90)))
    )
    await user.open("/templates")
    assert text_of(user, "reminder-slot-2-fr-origin") == "intégré"
    assert text_of(user, "reminder-slot-0-en-name") == "Statement of invoices"
    assert text_of(user, "reminder-slot-4-fr-origin") == "aucun : à écrire"

    by_test_id(user, "reminder-slot-2-fr").click()
    await wait_for(lambda: text_of(user, "preview-subject").startswith("Deuxième relance"))
    by_test_id(user, "template-subject").clear().type("Relance n° 2 : %MONTANT_TOTAL_TTC_SOLDE% à régler")
    by_test_id(user, "template-save").click()
    await wait_for(lambda: text_of(user, "reminder-slot-2-fr-origin") == "enregistré")

    [saved] = stores.templates.all()
    assert (saved.use, saved.level, saved.language, saved.piece_type) == (TemplateUse.reminder, 2, Language.fr, None)
    assert text_of(user, "slot-invoice-fr-origin") == "intégré"  # a reminder template never writes a piece's mail
    [slot] = [s for s in await app.templates.reminder_overview(4) if (s.level, s.language) == (2, Language.fr)]
    assert slot.template == saved and slot.origin is Origin.saved
