"""STS ``GetAccessKeyInfo``: AWS decodes the owning account from the key id itself; moto 5.2.5 searches its
own accounts for a user holding the key and answers the caller's account for any other key.

Access key ids (``AKIA`` for users, ``ASIA`` for temporary credentials) carry their account in the bits after
the prefix: base32-decoded, bits 46 to 7 of the first six bytes are the account number. moto already makes its
key ids that way, so answering like AWS is a matter of decoding them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from auditpack.emulator.extensions import extension

ACCOUNT_BITS = 0x7FFFFFFFFF80  # AWS's layout: 40 bits of account number above 7 bits of noise


def account_of_key(access_key_id: str) -> str | None:
    """The 12-digit account an access key id belongs to, or None when the id cannot be decoded."""
    if len(access_key_id) != 20 or not access_key_id[:4].isalpha():
        return None
    try:
        raw = base64.b32decode(access_key_id[4:])
    except (binascii.Error, ValueError):
        return None
    number = (int.from_bytes(raw[:6], "big") & ACCOUNT_BITS) >> 7
    return f"{number:012d}"


@extension("sts-access-key-info", service="sts", operations=("GetAccessKeyInfo",),
           reason="moto 5.2.5 answers GetAccessKeyInfo with the caller's account for any key it cannot find in "
           "its own accounts, where AWS decodes the account from the key id")
def install() -> None:
    from moto.sts.models import STSBackend

    searched = STSBackend.get_access_key_info

    def get_access_key_info(self: Any, access_key_id: str) -> dict[str, str]:
        account = account_of_key(access_key_id)
        return {"Account": account} if account else searched(self, access_key_id)

    STSBackend.get_access_key_info = get_access_key_info  # type: ignore[method-assign]
