"""Password hashing for dashboard accounts: argon2id with the library's current parameters.

A failed sign-in costs the same whether or not the account exists: an unknown name is checked
against a dummy hash, so the time taken says nothing about which names are real.
"""

from __future__ import annotations

from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from monitor.errors import InputError

MIN_PASSWORD_CHARS: Final = 12
MAX_PASSWORD_CHARS: Final = 1024


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(
            f"the password has {len(password)} characters; use at least {MIN_PASSWORD_CHARS} "
            "(a passphrase of a few words is easy to type and hard to guess)"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InputError(f"the password is longer than {MAX_PASSWORD_CHARS} characters")
    return password


class Passwords:
    """Hashes and checks passwords; `hasher` sets the argon2 cost (tests use a cheap one)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash = self._hasher.hash("not the password of any account")

    def hash(self, password: str) -> str:
        return self._hasher.hash(check_new_password(password))

    def verify(self, *, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; `password_hash=None` spends the same time on False."""
        password = password[:MAX_PASSWORD_CHARS]
        try:
            matched = self._hasher.verify(password_hash or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return matched and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False
