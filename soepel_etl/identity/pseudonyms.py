"""Keyed pseudonyms: ``person_key = hex(HMAC-SHA256(key, "<type>:<value>"))`` (definitions.md).

The key comes from ``SOEPEL_PSEUDONYM_KEY`` (or, in Airflow, from a secrets backend that hands it to
:class:`PseudonymKey` the same way). It is kept in one object that never prints it; nothing in this
module writes it anywhere.

For bulk work the HMAC runs inside DuckDB: HMAC is ``H((K ^ opad) || H((K ^ ipad) || m))`` and DuckDB's
``sha256`` takes BLOBs, so the two pads are passed as bound parameters and the hashing is vectorised
and parallel. :func:`PseudonymKey.pseudonym` is the reference implementation with Python's ``hmac``;
a test checks the two agree.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field

KEY_ENV_VAR = "SOEPEL_PSEUDONYM_KEY"
MIN_KEY_BYTES = 32
_BLOCK = 64  # SHA-256 block size in bytes


class PseudonymKeyError(ValueError):
    """The pseudonymisation key is missing or too short; the pipeline refuses to run."""


@dataclass(frozen=True)
class PseudonymKey:
    _secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self._secret) < MIN_KEY_BYTES:
            raise PseudonymKeyError(
                f"the pseudonymisation key is {len(self._secret)} bytes; at least {MIN_KEY_BYTES} "
                f"are required (set {KEY_ENV_VAR} to a long random secret)"
            )

    @classmethod
    def from_text(cls, secret: str | None) -> "PseudonymKey":
        if not secret:
            raise PseudonymKeyError(
                f"no pseudonymisation key: set {KEY_ENV_VAR} to a secret of at least "
                f"{MIN_KEY_BYTES} bytes (for example: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return cls(secret.encode("utf-8"))

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> "PseudonymKey":
        return cls.from_text((environ if environ is not None else os.environ).get(KEY_ENV_VAR))

    def __repr__(self) -> str:  # never show the secret, not even in a traceback
        return "PseudonymKey(<secret>)"

    __str__ = __repr__

    def pseudonym(self, kind: str, value: str) -> str:
        """Reference implementation for one value, e.g. ``pseudonym("bsn", "123456782")``."""
        return hmac.new(self._secret, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()

    def pads(self) -> tuple[bytes, bytes]:
        """The inner and outer HMAC pads (key XOR ipad, key XOR opad) for the SQL implementation."""
        key = self._secret
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\x00")
        return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)

    def secret_bytes(self) -> bytes:
        """Only for scanning output in privacy tests: is the key anywhere it must not be?"""
        return self._secret


def hmac_sql(message: str, ipad_param: str = "$ipad", opad_param: str = "$opad") -> str:
    """SQL expression: lowercase hex HMAC-SHA256 of the VARCHAR expression ``message``.

    The pads are bound parameters (BLOB) so the key material never appears in SQL text.
    """
    inner = f"unhex(sha256({ipad_param} || encode({message})))"
    return f"sha256({opad_param} || {inner})"
