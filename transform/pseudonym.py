"""Pseudonymous user ids: a keyed hash of the user label, so curated data never names a person."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from contracts.layout import STATE_CONTAINER, USER_ID_KEY_PATH
from settings import Settings
from storage.lake import Lake


def user_id(label: str, key: bytes) -> str:
    """A stable, non-reversible id for `label` under `key` (HMAC-SHA256, 24 hex chars)."""
    return hmac.new(key, label.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def user_id_key(lake: Lake, settings: Settings) -> bytes:
    """The key: the USER_ID_KEY setting (Key Vault in Azure), else one generated once into the lake.

    The generated key stays in the `state` container next to the data it protects, and is never
    logged. Changing it changes every user id, so it is created once and then only read.
    """
    if settings.user_id_key:
        return settings.user_id_key.encode("utf-8")
    if not lake.exists(STATE_CONTAINER, USER_ID_KEY_PATH):
        # Several triggers may start at once on a fresh deployment: the first create wins and
        # everyone reads the key that won.
        lake.create(STATE_CONTAINER, USER_ID_KEY_PATH, secrets.token_hex(32).encode("ascii"))
    return lake.read_bytes(STATE_CONTAINER, USER_ID_KEY_PATH).strip()


def existing_user_id_key(lake: Lake, settings: Settings) -> bytes | None:
    """The key as `user_id_key` finds it, without ever creating one (None: no key yet, so nothing
    was pseudonymised with one). For readers: they may not be able to write, and must not invent a
    key that matches nobody."""
    if settings.user_id_key:
        return settings.user_id_key.encode("utf-8")
    if not lake.exists(STATE_CONTAINER, USER_ID_KEY_PATH):
        return None
    return lake.read_bytes(STATE_CONTAINER, USER_ID_KEY_PATH).strip()
