"""The branding part of the company form: the logo (upload, thumbnail, remove), the accent colour (typed or picked)
and the footer text, and a link to a real invoice rendered with the saved look.

A new or removed logo waits for the form's Save like every other field, so Cancel forgets it; the file is checked
by its content as soon as it arrives, so a wrong file is refused at once and the logo shown stays as it was."""

from __future__ import annotations

import base64
from collections.abc import Mapping

from nicegui import events, ui

from batchmail.errors import InvalidInput
from batchmail.services.company import LOGO_MAX_BYTES, CompanyService, Logo
from batchmail.services.company_form import hex_color
from ui import i18n
from ui.pdf_routes import PIECE_ROUTE

THUMBNAIL = "h-[72px] max-w-[220px] border border-grey-4 rounded bg-white p-1"


class BrandingEditor:
    def __init__(
        self,
        company_service: CompanyService,
        values: Mapping[str, str],
        *,
        saved_logo: Logo | None,
        preview_piece_id: int | None,
    ) -> None:
        """`values`: the company form's text per field, of which the accent colour and the footer text."""
        self._company_service = company_service
        self._saved_logo = saved_logo
        self.new_logo: bytes | None = None  # uploaded, not saved yet
        self.remove_logo = False  # asked, not saved yet
        with ui.row().classes("w-full items-start gap-6"):
            with ui.column().classes("gap-1"):
                ui.label(i18n.t("settings.logo")).classes("text-sm text-grey-8")
                self._thumbnail = ui.image("").classes(THUMBNAIL).props("fit=contain data-testid=logo-thumbnail")
                self._none = ui.label(i18n.t("settings.logo.none")).classes("text-sm text-grey-7")
                self._state = ui.label("").classes("text-xs text-primary").props("data-testid=logo-state")
                self._error = ui.label("").classes("text-xs text-negative").props("data-testid=logo-error")
            with ui.column().classes("gap-2"):
                self._upload = (
                    ui.upload(
                        label=i18n.t("settings.logo.upload"),
                        auto_upload=True,
                        max_file_size=LOGO_MAX_BYTES,
                        on_upload=self._uploaded,
                        on_rejected=lambda: self._refuse(i18n.t("settings.logo.too_big")),
                    )
                    .props("accept='.png,.jpg,.jpeg,.svg,image/png,image/jpeg,image/svg+xml' flat bordered")
                    .classes("w-[320px]")
                    .props("data-testid=logo-upload")
                )
                self._remove = ui.button(
                    i18n.t("settings.logo.remove"), icon="delete_outline", on_click=self._remove_clicked
                ).props("flat dense no-caps color=negative data-testid=logo-remove")
        self.accent_color = ui.input(i18n.t("settings.field.accent_color"), value=values["accent_color"])
        self.accent_color.classes("w-[220px]")
        self.accent_color.props("outlined dense data-testid=company-field-accent_color")
        with self.accent_color.add_slot("append"):
            picker = ui.color_picker(on_pick=lambda e: self.accent_color.set_value(e.color))
            swatch = ui.button(icon="colorize", on_click=lambda: _open_picker(picker, self.accent_color.value))
            swatch.props("flat round dense").tooltip(i18n.t("settings.pick_color"))
        _paint(swatch, self.accent_color.value)
        self.accent_color.on_value_change(lambda e: _paint(swatch, e.value))
        self.footer_text = ui.textarea(
            i18n.t("settings.field.footer_text"),
            placeholder=i18n.t("settings.hint.footer_text"),
            value=values["footer_text"],
        ).classes("w-full")
        self.footer_text.props("outlined dense autogrow data-testid=company-field-footer_text")
        with ui.row().classes("items-center gap-3"):
            if preview_piece_id is None:
                ui.button(i18n.t("settings.preview"), icon="picture_as_pdf").props("outline no-caps disable")
                ui.label(i18n.t("settings.preview.none")).classes("text-sm text-grey-7")
            else:
                with ui.link(target=PIECE_ROUTE.format(piece_id=preview_piece_id), new_tab=True).props(
                    "data-testid=preview-document"
                ):
                    ui.button(i18n.t("settings.preview"), icon="picture_as_pdf").props("outline no-caps")
                ui.label(i18n.t("settings.preview.hint")).classes("text-sm text-grey-7")
        self._show()

    @property
    def inputs(self) -> dict[str, ui.input | ui.textarea]:
        return {"accent_color": self.accent_color, "footer_text": self.footer_text}

    @property
    def changed(self) -> bool:
        return self.new_logo is not None or self.remove_logo

    def saved(self, logo: Logo | None) -> None:
        """After a save: `logo` is what the company now shows."""
        self._saved_logo = logo
        self.cancel()

    def cancel(self) -> None:
        self.new_logo = None
        self.remove_logo = False
        self._error.set_text("")
        self._show()

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        self._upload.reset()  # ready for another file
        try:
            logo = await self._company_service.check_logo(await event.file.read())
        except InvalidInput:
            self._refuse(i18n.t("settings.logo.refused"))
            return
        self.new_logo, self.remove_logo = logo.data, False
        self._error.set_text("")
        self._show(logo)

    def _refuse(self, message: str) -> None:
        self._error.set_text(message)
        ui.notify(message, type="negative")

    def _remove_clicked(self) -> None:
        self.new_logo = None
        self.remove_logo = self._saved_logo is not None
        self._show()

    def _show(self, pending: Logo | None = None) -> None:
        shown = pending or (None if self.remove_logo else self._saved_logo)
        self._thumbnail.set_source(_data_url(shown) if shown else "")
        self._thumbnail.set_visibility(shown is not None)
        self._none.set_visibility(shown is None)
        self._remove.set_visibility(shown is not None)
        state = "settings.logo.pending" if pending else "settings.logo.removing" if self.remove_logo else ""
        self._state.set_text(i18n.t(state) if state else "")


def _data_url(logo: Logo) -> str:
    return f"data:{logo.kind.mime};base64,{base64.b64encode(logo.data).decode('ascii')}"


def _open_picker(picker: ui.color_picker, value: str | None) -> None:
    if value:
        picker.set_color(value)
    picker.open()


def _paint(swatch: ui.button, value: str | None) -> None:
    """The picker's button shows the colour typed, when it is one."""
    colour = hex_color(value or "")
    swatch.style(f"background-color: {colour or 'transparent'}")
