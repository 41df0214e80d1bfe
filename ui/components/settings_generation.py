"""The generation settings: which transformations the company uses, and whether generated pieces start as
drafts. Each change is saved at once."""

from __future__ import annotations

from dataclasses import replace

from nicegui import ui

from batchmail.domain.generation import TRANSFORMATIONS, GenerationSettings, Transformation
from batchmail.services.generation import GenerationService
from ui import i18n


class GenerationSettingsForm:
    def __init__(self, service: GenerationService, settings: GenerationSettings) -> None:
        self._service = service
        self._settings = settings
        ui.label(i18n.t("settings.generation.intro")).classes("text-sm text-grey-8")
        with ui.grid(columns=3).classes("w-full gap-x-4 gap-y-0"):
            for step in TRANSFORMATIONS:
                label = f"{i18n.piece_type(step.source)} → {i18n.piece_type(step.target)}"
                box = ui.checkbox(
                    label, value=step in settings.enabled, on_change=lambda e, s=step: self._enable(s, e.value)
                )
                box.props(f"dense data-testid=generation-{step.source.value}-{step.target.value}")
        drafts = ui.switch(
            i18n.t("settings.generation.start_as_draft"),
            value=settings.start_as_draft,
            on_change=lambda e: self._drafts(e.value),
        )
        drafts.props("dense data-testid=generation-start-as-draft")

    async def _enable(self, step: Transformation, enabled: bool) -> None:
        steps = self._settings.enabled | {step} if enabled else self._settings.enabled - {step}
        await self._save(replace(self._settings, enabled=frozenset(steps)))

    async def _drafts(self, start_as_draft: bool) -> None:
        await self._save(replace(self._settings, start_as_draft=start_as_draft))

    async def _save(self, settings: GenerationSettings) -> None:
        self._settings = settings
        await self._service.save_settings(settings)
        ui.notify(i18n.t("settings.generation.saved"), type="positive")
