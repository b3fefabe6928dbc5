"""A real SMTP server on localhost (aiosmtpd, in a thread of the test process, on a free
port) that keeps every message it receives."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from wenyuan.testing import free_port


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_server(smtp_port):
    server = SmtpServer(smtp_port).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_port):
    settings.WENYUAN_SMTP_HOST = "127.0.0.1"
    settings.WENYUAN_SMTP_PORT = smtp_port
    settings.WENYUAN_SMTP_SECURITY = "none"
    settings.WENYUAN_SMTP_TIMEOUT = 5
    return settings


@pytest.fixture(autouse=True)
def outbox_backend(settings):
    """pytest-django swaps in Django's in-memory backend; these tests want the site's."""
    settings.EMAIL_BACKEND = "wenyuan.mail.backend.OutboxBackend"
