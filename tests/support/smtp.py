"""A real SMTP server for tests: aiosmtpd in its own thread (as a separate mail host would be), keeping
every message it accepts. Stop and start it on the same port to play an outage."""

from __future__ import annotations

from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


class Mailbox:
    """aiosmtpd handler: every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port, self.mailbox, self._controller = port, Mailbox(), None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
