"""Private feed tokens: unguessable, revocable, and not recoverable from the database.

A token is an HMAC of the chat and a random per-chat nonce under a secret that lives outside
the database (``FEED_TOKEN_SECRET``, or a key file next to it). The database keeps only the
nonce and the token's SHA-256, so a leaked database reveals no feed URL, while ``/feed`` can
still show a chat its URL again. ``/feed reset`` draws a new nonce: the old URL stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

TOKEN_BYTES = 24  # 192 bits


def make_token(secret: bytes, platform: str, chat_id: str, nonce: str) -> str:
    mac = hmac.new(secret, f"{platform}:{chat_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def load_or_create_secret(path: Path) -> bytes:
    """The key file, created owner-only on first use."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key
