"""HMAC-SHA256 pseudonyms for contacts: the same contact gives the same pseudonym on one
install, so ads can be linked by it, and nobody without the install's key can tell which
contact a pseudonym stands for (or test a guessed phone number against it).

The key is the install's secret (CENTINELA_SECRET, or the random key generated once per
install); it is passed in, never read here and never written in the code.
"""

from __future__ import annotations

import hashlib
import hmac

MIN_KEY_BYTES = 16


def pseudonymise(kind: str, normalised: str, key: bytes) -> str:
    """The pseudonym (64 hex digits) of a normalised contact of `kind` ('phone', 'email'
    or 'handle'); the kind is part of the message, so an e-mail and a handle with the same
    text never share a pseudonym."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the pseudonym key must have at least {MIN_KEY_BYTES} bytes")
    return hmac.new(key, f"{kind}\x1f{normalised}".encode(), hashlib.sha256).hexdigest()
