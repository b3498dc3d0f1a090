"""The instance's signing key ring, as configured in the settings.

Trust-mark credentials, status lists and evidence bundles are all signed by this one ring, so a
verifier needs only the keys published at ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import os
from functools import lru_cache

from django.conf import settings

from lib.keys import ENV_VAR, KeyRing


@lru_cache(maxsize=8)
def _ring(directory: str, env_value: str) -> KeyRing:
    if env_value.strip():
        return KeyRing.from_env_value(env_value)
    return KeyRing(directory)


def instance_ring() -> KeyRing:
    """The key ring: ``WORKFLOWOS_SIGNING_KEYS`` when set, else the files in ``SIGNING_KEYS_DIR``.

    One ``KeyRing`` per process and location; it notices a rotation made by another process and
    creates the first key on first use.
    """
    return _ring(str(settings.SIGNING_KEYS_DIR), os.environ.get(ENV_VAR, ""))
