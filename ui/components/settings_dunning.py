"""The dunning levels of the settings: for each level, from how many days overdue, how long after the previous
reminder, from which amount, and whether the mail carries the invoices' PDFs and the statement. Saved with its
button, checked as a whole (levels in increasing days)."""

from __future__ import annotations

from nicegui import ui

from batchmail.domain.reminders import DunningLevel, DunningSettings
from batchmail.errors import InvalidInput
from batchmail.services.reminders import ReminderService
from ui import i18n
from ui.filters import parse_amount


class _LevelRow:
    def __init__(self, number: int, level: DunningLevel) -> None:
        with ui.row().classes("w-full items-center gap-3 no-wrap").props(f"data-testid=dunning-level-{number}"):
            ui.label(i18n.t("remind.level", level=number)).classes("w-[80px] text-sm font-medium")
            self.days = self._number("settings.dunning.days_overdue", level.days_overdue, f"dunning-days-{number}")
            self.wait = self._number("settings.dunning.days_since", level.days_since_previous, f"dunning-wait-{number}")
            self.minimum = ui.input(i18n.t("settings.dunning.min_amount"), value=i18n.number(level.min_amount))
            self.minimum.classes("w-[130px]").props(f"outlined dense data-testid=dunning-minimum-{number}")
            self.pieces = ui.checkbox(i18n.t("settings.dunning.attach_pieces"), value=level.attach_pieces)
            self.pieces.props(f"dense data-testid=dunning-pieces-{number}")
            self.statement = ui.checkbox(i18n.t("settings.dunning.attach_statement"), value=level.attach_statement)
            self.statement.props(f"dense data-testid=dunning-statement-{number}")

    @staticmethod
    def _number(label_key: str, value: int, test_id: str) -> ui.number:
        field = ui.number(i18n.t(label_key), value=value, min=0, step=1, format="%d")
        field.classes("w-[150px]").props(f"outlined dense data-testid={test_id}")
        return field

    def level(self, number: int) -> DunningLevel:
        """The level as typed; InvalidInput names the level and the field that cannot be read."""
        minimum = parse_amount(str(self.minimum.value or ""), f"level {number}, minimum amount")
        return DunningLevel(
            days_overdue=int(self.days.value or 0),
            days_since_previous=int(self.wait.value or 0),
            min_amount=minimum if minimum is not None else DunningLevel(days_overdue=1).min_amount,
            attach_pieces=bool(self.pieces.value),
            attach_statement=bool(self.statement.value),
        )


class DunningForm:
    def __init__(self, service: ReminderService, settings: DunningSettings) -> None:
        self._service = service
        self._levels = list(settings.levels)
        ui.label(i18n.t("settings.dunning.intro")).classes("text-sm text-grey-8")
        self._rows_area = ui.column().classes("w-full gap-2")
        self.problem = ui.label().classes("text-sm text-negative").props("data-testid=dunning-problem")
        with ui.row().classes("gap-2"):
            ui.button(i18n.t("settings.dunning.add"), icon="add", on_click=self._add).props(
                "outline no-caps data-testid=dunning-add"
            )
            ui.button(i18n.t("settings.dunning.remove"), icon="remove", on_click=self._remove).props(
                "flat no-caps data-testid=dunning-remove"
            )
            ui.button(i18n.t("settings.dunning.save"), icon="save", on_click=self.save).props(
                "unelevated no-caps data-testid=dunning-save"
            )
        self._draw()

    def _draw(self) -> None:
        self._rows_area.clear()
        with self._rows_area:
            self._rows = [_LevelRow(number, level) for number, level in enumerate(self._levels, start=1)]

    def _typed(self) -> list[DunningLevel]:
        return [row.level(number) for number, row in enumerate(self._rows, start=1)]

    def _add(self) -> None:
        try:
            self._levels = self._typed()
        except InvalidInput as err:
            self.problem.text = str(err)
            return
        last = self._levels[-1]
        self._levels.append(DunningLevel(days_overdue=last.days_overdue + 30, attach_statement=last.attach_statement))
        self._draw()

    def _remove(self) -> None:
        if len(self._rows) > 1:
            self._levels = self._levels[: len(self._rows) - 1]
            self._draw()

    async def save(self) -> None:
        try:
            settings = DunningSettings(levels=tuple(self._typed()))
        except InvalidInput as err:
            self.problem.text = str(err)
            ui.notify(i18n.t("settings.dunning.refused", problem=err), type="negative", multi_line=True)
            return
        self.problem.text = ""
        self._levels = list(settings.levels)
        await self._service.save_settings(settings)
        ui.notify(i18n.t("settings.dunning.saved"), type="positive")
