"""SMTP AUTH never crosses a plain connection unless asked for, and the password never prints (issue 28,
item 10)."""

from email.message import EmailMessage
from typing import Self

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pydantic import SecretStr, ValidationError

from services.notifier.delivery import SmtpSender
from services.notifier.settings import NotifierSettings
from shared.devtools.local_kafka import free_port
from tests.support.smtp import Mailbox

PASSWORD = "correct-horse-battery-staple"


class PlainAuthServer:
    """aiosmtpd offering AUTH on a plain connection (as a careless relay would), recording every login."""

    def __init__(self) -> None:
        self.port, self.mailbox, self.logins = free_port(), Mailbox(), []
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port,
                                      auth_require_tls=False, authenticator=self._authenticate)

    def _authenticate(self, server, session, envelope, mechanism, data) -> AuthResult:
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(self, *_) -> None:
        self._controller.stop()


def mail() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "scimflow@localhost", "ada@acme.example", "hello"
    message.set_content("hello")
    return message


def test_a_login_without_tls_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(ValidationError) as refused:
        NotifierSettings(data_dir=tmp_path, smtp_username="mailer", smtp_password=PASSWORD)
    assert "SCIMFLOW_SMTP_TLS" in str(refused.value) and "SCIMFLOW_SMTP_ALLOW_PLAIN_AUTH" in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_a_login_over_tls_or_with_the_opt_in_is_taken(tmp_path):
    for tls in ("starttls", "tls"):
        assert NotifierSettings(data_dir=tmp_path, smtp_tls=tls, smtp_username="mailer", smtp_password=PASSWORD)
    assert NotifierSettings(data_dir=tmp_path, smtp_username="mailer", smtp_password=PASSWORD,
                            smtp_allow_plain_auth=True)


def test_the_password_never_prints(tmp_path):
    settings = NotifierSettings(data_dir=tmp_path, smtp_tls="starttls", smtp_username="mailer", smtp_password=PASSWORD)
    assert PASSWORD not in repr(settings) and PASSWORD not in settings.model_dump_json()


async def test_delivery_sends_no_credentials_over_a_plain_connection(tmp_path):
    """Even with settings that skipped the check (built in code), the sender does not log in in clear."""
    settings = NotifierSettings.model_construct(data_dir=tmp_path, smtp_tls="none", smtp_username="mailer",
                                                smtp_password=SecretStr(PASSWORD))
    with PlainAuthServer() as server:
        await SmtpSender(settings.model_copy(update={"smtp_port": server.port})).send(mail())
    assert server.logins == [] and len(server.mailbox.messages) == 1


async def test_with_the_opt_in_a_local_relay_gets_the_login(tmp_path):
    with PlainAuthServer() as server:
        settings = NotifierSettings(data_dir=tmp_path, smtp_port=server.port, smtp_username="mailer",
                                    smtp_password=PASSWORD, smtp_allow_plain_auth=True)
        await SmtpSender(settings).send(mail())
    assert server.logins == [("mailer", PASSWORD)] and len(server.mailbox.messages) == 1
