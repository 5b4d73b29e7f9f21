"""International e-mail addresses, written the way SMTP servers can take them.

The forms accept addresses such as ``user@exämple.org`` and ``üser@example.org``.
A domain has an ASCII form (IDNA, ``xn--exmple-cua.org``) that every server
understands, so messages are sent to that. A local part has none: a server must
offer SMTPUTF8 to take ``üser``, and a message to such an address waits, with a
reason that says so, while the server does not.
"""

from email.headerregistry import Address
from email.utils import parseaddr

# The IDNA 2008 codec that email-validator checks the addresses with. Python's own
# "idna" codec follows IDNA 2003, which sends "straße.de" to a different domain.
import idna


def ascii_domain(address: str) -> str:
    """Return ``address`` with its domain in ASCII (IDNA) form, the rest unchanged.

    :raise ValueError: (an ``idna.IDNAError``) for a domain with no such form.
    """
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"


def needs_smtputf8(address: str) -> bool:
    """Whether sending to ``address`` (its domain already in ASCII) needs SMTPUTF8."""
    return not address.isascii()


def sender_address(sender: str) -> Address:
    """The From header for ``sender`` (``Name <address>``), its domain in ASCII."""
    name, address = parseaddr(sender)
    return Address(display_name=name, addr_spec=ascii_domain(address))
