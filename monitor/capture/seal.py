"""Sealing with age: encrypt to a client's public key; only the private key's holder can open.

The server holds only recipients (age1...). `open_sealed` runs where the identity is: a lawyer's
or the organisation's offline machine, through `monitor evidence decrypt`.
"""

from __future__ import annotations

import pyrage

from monitor.errors import ConfigError, InputError

AGE_RECIPIENT_HINT = (
    "give the client's age public key (starts with age1; make a key pair with `age-keygen` or "
    "`rage-keygen` on the machine that will open the captures, and keep the private key there)"
)


def parse_recipient(text: str) -> pyrage.x25519.Recipient:
    try:
        return pyrage.x25519.Recipient.from_str(text.strip())
    except pyrage.RecipientError as error:
        raise ConfigError(
            f"{text[:12]!r}... is not an age public key ({error}); {AGE_RECIPIENT_HINT}"
        ) from None


def seal(data: bytes, *, recipient: str) -> bytes:
    sealed: bytes = pyrage.encrypt(data, [parse_recipient(recipient)])
    return sealed


def parse_identities(text: str) -> list[pyrage.x25519.Identity]:
    """Identities from an age identity file: one AGE-SECRET-KEY-1... per line, # comments."""
    identities = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise InputError(
                f"line {number} of the identity file is not an age private key "
                "(AGE-SECRET-KEY-1...)"
            ) from None
    if not identities:
        raise InputError("the identity file holds no age private key (AGE-SECRET-KEY-1...)")
    return identities


def open_sealed(data: bytes, *, identities: list[pyrage.x25519.Identity]) -> bytes:
    try:
        opened: bytes = pyrage.decrypt(data, identities)
    except pyrage.DecryptError as error:
        raise InputError(
            f"cannot decrypt: {error} (is this a capture sealed to this key, and complete?)"
        ) from None
    return opened
