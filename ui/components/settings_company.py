"""The issuing company as a form in sections (identity, legal mentions, bank, terms, branding, sending) with Save
and Cancel. Save checks every field first and shows each problem under its field, leaving what was typed as it is;
nothing is saved until every field is right."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from babel.numbers import get_decimal_symbol
from nicegui import ui

from batchmail.domain.company import IssuingCompany
from batchmail.domain.formatting import locale_of
from batchmail.domain.language import Language
from batchmail.errors import BatchMailError
from batchmail.services.company import CompanyService, Logo
from batchmail.services.company_form import FieldError, company_form
from ui import i18n
from ui.components.settings_branding import BrandingEditor

Field = ui.input | ui.textarea | ui.select


@dataclass(frozen=True, slots=True)
class Section:
    title_key: str
    icon: str
    fields: tuple[str, ...]  # IssuingCompany attributes, each labelled "settings.field.<name>"


SECTIONS = (
    Section(
        title_key="settings.section.identity",
        icon="business",
        fields=("name", "legal_form", "capital", "address", "email", "phone", "website", "language"),
    ),
    Section(title_key="settings.section.legal", icon="gavel", fields=("siren", "siret", "rcs", "vat_number")),
    Section(title_key="settings.section.bank", icon="account_balance", fields=("iban", "bic")),
    Section(
        title_key="settings.section.terms",
        icon="event",
        fields=("payment_terms_days", "late_penalty_rate", "recovery_indemnity"),
    ),
)
SENDING = Section(title_key="settings.section.sending", icon="mark_email_read", fields=("archive_bcc",))
WIDE = frozenset({"name", "address", "archive_bcc"})  # span the form's two columns
LINES = frozenset({"address"})  # several lines
HINTED = frozenset({"capital", "rcs", "language", "archive_bcc"})  # with "settings.hint.<name>" under the field


class CompanyForm:
    def __init__(
        self,
        company_service: CompanyService,
        company: IssuingCompany | None,
        *,
        logo: Logo | None,
        preview_piece_id: int | None,
        on_saved: Callable[[IssuingCompany], None] | None = None,
    ) -> None:
        self._company_service = company_service
        self._on_saved = on_saved
        self._company = company
        self._inputs: dict[str, Field] = {}
        # Every field is built with its value: a value set once built would reach the browser after it connects
        # and overwrite what the user may already be typing.
        saved = self._saved_values()
        if company is None:
            ui.label(i18n.t("settings.no_company")).classes("text-sm text-grey-8").props("data-testid=no-company")
        with ui.column().classes("w-full gap-4").props("data-testid=company-form"):
            for section in SECTIONS:
                self._section(section, saved)
            with _heading("settings.section.branding", "palette"):
                self._branding = BrandingEditor(
                    company_service, saved, saved_logo=logo, preview_piece_id=preview_piece_id
                )
            self._inputs.update(self._branding.inputs)
            self._section(SENDING, saved)
            with ui.row().classes("items-center gap-2"):
                ui.button(i18n.t("settings.save"), icon="save", on_click=self.save).props(
                    "unelevated no-caps data-testid=company-save"
                )
                ui.button(i18n.t("settings.cancel"), on_click=self.cancel).props(
                    "flat no-caps data-testid=company-cancel"
                )

    def values(self) -> dict[str, str]:
        """What the form holds, as text per field."""
        return {name: str(field.value or "") for name, field in self._inputs.items()}

    async def save(self) -> None:
        settings = self._company_service
        values = self.values()
        errors = settings.check(values, self._company)
        self._show(errors)
        if errors:
            ui.notify(i18n.count_of("settings.invalid", len(errors)), type="negative")
            return
        try:
            self._company = await settings.save(
                values, logo=self._branding.new_logo, remove_logo=self._branding.remove_logo
            )
        except BatchMailError as err:
            ui.notify(i18n.t("settings.save_failed", error=str(err)), type="negative", multi_line=True)
            return
        self._branding.saved(await settings.logo())
        self._fill()
        if self._on_saved is not None:
            self._on_saved(self._company)
        ui.notify(i18n.t("settings.saved"), type="positive")

    def cancel(self) -> None:
        self._fill()
        self._branding.cancel()
        ui.notify(i18n.t("settings.cancelled"))

    def _fill(self) -> None:
        """Every field from the saved company (normalised values, errors cleared)."""
        saved = self._saved_values()
        for name, field in self._inputs.items():
            field.set_value(saved[name])
            field.error = None

    def _saved_values(self) -> dict[str, str]:
        saved = company_form(self._company or IssuingCompany(name=""))
        for name in _NUMBERS:  # with the language's decimal sign ("12,15" in French) and no grouping to misread
            saved[name] = saved[name].replace(".", get_decimal_symbol(locale_of(i18n.language())))
        return saved

    def _show(self, errors: list[FieldError]) -> None:
        for field in self._inputs.values():
            field.error = None
        for error in errors:
            self._inputs[error.field].error = i18n.t(f"settings.error.{error.problem.value}")

    def _section(self, section: Section, values: Mapping[str, str]) -> None:
        with _heading(section.title_key, section.icon), ui.grid(columns=2).classes("w-full gap-x-4 gap-y-1"):
            for name in section.fields:
                field = _field(name, values[name])
                field.props(f"outlined dense data-testid=company-field-{name}")
                if name in WIDE:
                    field.classes("col-span-2")
                self._inputs[name] = field


_NUMBERS = ("late_penalty_rate", "recovery_indemnity")


def _heading(title_key: str, icon: str) -> ui.column:
    column = ui.column().classes("w-full gap-2")
    with column, ui.row().classes("items-center gap-2"):
        ui.icon(icon, color="primary", size="xs")
        ui.label(i18n.t(title_key)).classes("text-sm font-semibold text-grey-9")
    return column


def _field(name: str, value: str) -> Field:
    label = i18n.t(f"settings.field.{name}")
    field: Field
    if name == "language":
        options = {language.value: i18n.t(f"lang.{language.value}") for language in Language}
        field = ui.select(options, label=label, value=value)
    elif name in LINES:
        field = ui.textarea(label, value=value).props("autogrow")
    else:
        field = ui.input(label, value=value)
    if name in HINTED:
        field.props["hint"] = i18n.t(f"settings.hint.{name}")
    return field
