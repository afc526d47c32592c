from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from monitor.errors import InputError
from monitor.web.passwords import Passwords


def test_hash_verify_and_rehash() -> None:
    cheap = Passwords(PasswordHasher.from_parameters(CHEAPEST))
    stored = cheap.hash("a long enough passphrase")
    assert stored.startswith("$argon2id$")
    assert cheap.verify(password_hash=stored, password="a long enough passphrase")
    assert not cheap.verify(password_hash=stored, password="a long enough passphrasE")
    assert not cheap.verify(password_hash=None, password="a long enough passphrase")
    assert not cheap.verify(password_hash="not-a-hash", password="x")
    assert not cheap.verify(password_hash=stored, password="x" * 100_000)
    assert not cheap.needs_rehash(stored)
    assert Passwords().needs_rehash(stored)  # weaker than the default: rehashed at next sign-in


def test_short_and_huge_passwords_are_refused() -> None:
    cheap = Passwords(PasswordHasher.from_parameters(CHEAPEST))
    with pytest.raises(InputError, match="at least 12"):
        cheap.hash("short")
    with pytest.raises(InputError, match="longer than"):
        cheap.hash("x" * 2000)
