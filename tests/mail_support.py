"""Reading the e-mail the application sent, as its recipients would."""

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

#: A manage link's path, with the token in its one group.
MANAGE_PATH = re.compile(r"/r/([A-Za-z0-9_-]{43})")


@dataclass
class Received:
    """One message as it arrived: who it was for, and the message itself."""

    recipients: list[str]
    message: EmailMessage
    sender: str = ""
    #: Free for tests to note things; not part of the message.
    notes: dict = field(default_factory=dict)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    @property
    def calendars(self) -> list[EmailMessage]:
        return [
            part
            for part in self.message.iter_attachments()
            if part.get_content_type() == "text/calendar"
        ]

    @property
    def manage_url(self) -> str:
        """The manage link in the text part (the HTML part must hold the same)."""
        found = re.search(r"\S+" + MANAGE_PATH.pattern, self.text)
        assert found, "no manage link in the message"
        return found.group(0)

    @property
    def manage_path(self) -> str:
        return urlsplit(self.manage_url).path

    @property
    def token(self) -> str:
        return MANAGE_PATH.search(self.manage_url).group(1)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def written_mail(folder: Path | None = None) -> list[Received]:
    """The messages written as ``.eml`` files (no SMTP server set), oldest first."""
    folder = Path(folder or current_app.config["MAIL_FOLDER"])
    if not folder.exists():
        return []

    received = []
    for path in sorted(folder.glob("*.eml")):
        message = parse(path.read_bytes())
        received.append(Received(recipients=[str(message["To"])], message=message))
    return received


def last_written_to(address: str) -> Received:
    """The newest ``.eml`` message written to ``address``."""
    messages = [m for m in written_mail() if address in m.recipients]
    assert messages, f"no message written to {address}"
    return messages[-1]
