"""User data as a person wrote it: base64-decoded, gunzipped when compressed, as text.

EC2 returns user data base64-encoded, and cloud-init accepts it gzip'd (it must be, past 16 KB), so a
scanner that reads the raw attribute sees nothing. Binary payloads that are neither text nor gzip are read
as Latin-1 so that an embedded credential still shows up.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import zlib

GZIP_MAGIC = b"\x1f\x8b"


def decode_user_data(encoded: str | None) -> str:
    if not encoded:
        return ""
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        raw = encoded.encode("utf-8", "replace")
    if raw[:2] == GZIP_MAGIC:
        with contextlib.suppress(OSError, EOFError, zlib.error):
            raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
