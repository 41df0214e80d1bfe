"""The Send tab's options: sender, grouping and ZIP, single recipient, template, files for every mail, receipts,
priority, copies, automatic BCC, history, send again, accepted warnings. `choices()` reads them as SendChoices;
the files stay in memory until the batch is sent."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui import events, ui

from batchmail.domain.addresses import address_problem
from batchmail.domain.company import SenderAddress
from batchmail.sending.choices import SendChoices
from batchmail.sending.compose import Grouping
from batchmail.sending.message import Attachment
from ui import i18n
from ui.components.message_view import size_text

MAX_FILE_BYTES = 20_000_000  # one extra file; the account's own limit is checked on the whole mail


@dataclass(kw_only=True, slots=True)
class FormSetup:
    senders: list[SenderAddress]  # the current user's addresses for the account, the default first
    templates: list[str]  # the saved templates' names
    archive_bcc: str  # the company's archive address; "" none
    choices: SendChoices  # as the last batch left them


class SendOptionsForm:
    def __init__(self, setup: FormSetup) -> None:
        remembered = setup.choices
        self.attachments: list[Attachment] = []
        senders = {a.email: f"{a.display_name} <{a.email}>" if a.display_name else a.email for a in setup.senders}
        sender = remembered.sender if remembered.sender in senders else next(iter(senders), None)
        templates = {"": i18n.t("send.template.auto")} | {name: name for name in setup.templates}
        with ui.grid(columns="minmax(280px, 1fr) minmax(280px, 1fr)").classes("w-full gap-x-6 gap-y-2"):
            with ui.column().classes("gap-2"):
                self.sender = ui.select(senders, value=sender, label=i18n.t("send.sender")).classes("w-full")
                self.sender.props("outlined dense data-testid=send-sender")
                self.grouping = ui.toggle(
                    {g.value: i18n.t(f"send.grouping.{g.value}") for g in Grouping},
                    value=remembered.grouping.value,
                ).props("no-caps dense data-testid=send-grouping")
                self.zip = self._check("send.zip", remembered.zip_attachments, "send-zip")
                self.zip.bind_enabled_from(self.grouping, "value", lambda value: value == Grouping.per_recipient)
                self.single = ui.input(i18n.t("send.single"), validation=_single_recipient_problem).classes("w-full")
                self.single.props("outlined dense clearable data-testid=send-single")
                self.single.props["hint"] = i18n.t("send.single.hint")
                template = remembered.template if remembered.template in templates else ""
                self.template = ui.select(templates, value=template, label=i18n.t("send.template")).classes("w-full")
                self.template.props("outlined dense data-testid=send-template")
                ui.upload(
                    label=i18n.t("send.attachments"),
                    multiple=True,
                    auto_upload=True,
                    max_file_size=MAX_FILE_BYTES,
                    on_upload=self._uploaded,
                ).classes("w-full").props("flat bordered hide-upload-btn data-testid=send-upload")
                self.files = ui.row().classes("gap-1").props("data-testid=send-files")
            with ui.column().classes("gap-0"):
                self.read_receipt = self._check("send.read_receipt", remembered.read_receipt, "send-read-receipt")
                self.delivery_receipt = self._check(
                    "send.delivery_receipt", remembered.delivery_receipt, "send-delivery-receipt"
                )
                self.priority = self._check("send.priority", remembered.high_priority, "send-priority")
                self.cc_sender = self._check("send.cc_sender", remembered.cc_sender, "send-cc-sender")
                self.auto_bcc = self._check(
                    "send.auto_bcc", remembered.auto_bcc, "send-auto-bcc", address=setup.archive_bcc
                )
                self.auto_bcc.set_visibility(bool(setup.archive_bcc))
                self.record = self._check("send.record", remembered.record_on_contact, "send-record")
                self.resend = self._check("send.resend", False, "send-resend")
                self.accept_warnings = self._check("send.accept_warnings", False, "send-accept-warnings")

    def valid(self) -> bool:
        return self.single.validate()

    def choices(self) -> SendChoices:
        grouping = Grouping(self.grouping.value)
        return SendChoices(
            sender=self.sender.value or "",
            grouping=grouping,
            zip_attachments=bool(self.zip.value) and grouping is Grouping.per_recipient,
            single_recipient=(self.single.value or "").strip(),
            template=self.template.value or "",
            read_receipt=bool(self.read_receipt.value),
            delivery_receipt=bool(self.delivery_receipt.value),
            high_priority=bool(self.priority.value),
            cc_sender=bool(self.cc_sender.value),
            auto_bcc=bool(self.auto_bcc.value),
            record_on_contact=bool(self.record.value),
            resend=bool(self.resend.value),
            accept_warnings=bool(self.accept_warnings.value),
        )

    @staticmethod
    def _check(label_key: str, value: bool, test_id: str, **values: str) -> ui.checkbox:
        return ui.checkbox(i18n.t(label_key, **values), value=value).props(f"dense data-testid={test_id}")

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        upload = event.file
        content = await upload.read()
        self.attachments.append(Attachment(filename=upload.name, content=content, mime_type=upload.content_type))
        self._show_files()
        event.sender.run_method("removeUploadedFiles")

    def _remove(self, attachment: Attachment) -> None:
        self.attachments.remove(attachment)
        self._show_files()

    def _show_files(self) -> None:
        self.files.clear()
        with self.files:
            for attachment in self.attachments:
                ui.chip(
                    f"{attachment.filename} ({size_text(len(attachment.content))})",
                    icon="attach_file",
                    removable=True,
                    on_value_change=lambda _, a=attachment: self._remove(a),
                ).props("dense outline data-testid=send-file")


def _single_recipient_problem(value: str | None) -> str | None:
    text = (value or "").strip()
    error = address_problem(text) if text else ""
    return i18n.t("send.single.invalid", error=error) if error else None
