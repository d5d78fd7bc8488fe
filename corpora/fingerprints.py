"""Fingerprints of an ad's text for finding re-posts across scans: an exact key and a
MinHash signature with its LSH band keys.

- `text_key`: sha256 of the case-folded word sequence (corpora.duplicates.words), so
  spacing, punctuation and case do not hide an exact copy.
- `minhash`: 128 MinHash values of the word 3-shingles (datasketch, fixed seed, crc32
  shingle hashes), stored as bytes; `similarity` estimates the Jaccard similarity of two texts from them.
- `bands`: one 64-bit key per LSH band (21 bands of 6 values). Two texts share a band key
  with probability 1 - (1 - s^6)^21: 0.93 at similarity 0.7, 0.998 at 0.8, 0.23 at 0.4.
  The store indexes these keys, so a new ad finds its candidates with one lookup whatever
  the number of ads stored; every candidate is then checked with `similarity`.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from corpora.duplicates import shingles, words

NUM_PERM = 128
BAND_ROWS = 6
BANDS = 21  # 126 of the 128 values; the index catches pairs from ~0.55 up
DEFAULT_NEAR_DUPLICATE = 0.7
MINHASH_SEED = 1
_DTYPE = "<u4"  # datasketch's hash values are below 2**32


@dataclass(frozen=True)
class Fingerprint:
    """What the near-duplicate index stores for one text (see the module docstring)."""

    text_key: str
    minhash: bytes
    bands: tuple[int, ...]


def fingerprint_texts(texts: Sequence[str]) -> list[Fingerprint]:
    """Fingerprints of many texts at once (datasketch's bulk MinHash is ~2x faster)."""
    import numpy as np
    from datasketch import MinHash

    # crc32 (C, 32 bits) hashes shingles twice as fast as datasketch's default sha1, and
    # 32 bits are all a MinHash value keeps.
    sketches = MinHash.bulk([shingles(text) or {b""} for text in texts],
                            num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=zlib.crc32)
    found = []
    for text, sketch in zip(texts, sketches, strict=True):
        values = np.asarray(sketch.hashvalues).astype(_DTYPE)
        found.append(Fingerprint(text_key=text_key(text), minhash=values.tobytes(),
                                 bands=band_keys(values.tobytes())))
    return found


def text_key(text: str) -> str:
    """The exact-duplicate key of a text: sha256 of its case-folded words."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()


def band_keys(minhash: bytes) -> tuple[int, ...]:
    """One signed 64-bit key per LSH band of a MinHash signature (as stored)."""
    width = BAND_ROWS * 4
    return tuple(
        int.from_bytes(hashlib.blake2b(bytes([band]) + minhash[band * width:(band + 1) * width],
                                       digest_size=8).digest(), "little", signed=True)
        for band in range(BANDS))


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two texts' word shingles, from their MinHashes."""
    import numpy as np

    left, right = np.frombuffer(a, dtype=_DTYPE), np.frombuffer(b, dtype=_DTYPE)
    return float(np.count_nonzero(left == right)) / len(left)
