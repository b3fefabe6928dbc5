"""Character shingles, MinHash signatures and LSH band keys (near-duplicate fingerprints).

A document's *fingerprint* is the MinHash signature (``datasketch``) of the set of its
character shingles: every run of ``SHINGLE`` consecutive characters of the normalised
text (``normalize.text_normalize``).  Characters, not words: Chinese segmentation is
not stable under edits (the same phrase is cut differently beside different
neighbours), characters are.  Normalisation removes layout, width, punctuation and
script differences first, so a re-formatted copy has the very same shingles.

The probability that two signatures agree at one position is the Jaccard similarity
of the two shingle sets, so ``jaccard_estimate`` is the fraction of equal positions.
A copy that dropped sentences is *contained* in its original rather than equal to it;
with both set sizes stored, ``overlap_estimate`` turns the Jaccard estimate into the
share of the smaller set found in the larger (|A∩B| / min(|A|, |B|)), which stays
high for a copy that kept only part of the original, or added text of its own.

For lookups the signature is cut into ``BANDS`` bands of ``ROWS`` values; each band
hashes to one signed 64-bit *band key* (the band's number is part of the hash).  Two
documents whose Jaccard similarity is s share at least one band key with probability
1 - (1 - s**ROWS)**BANDS: that is the candidate query, an indexed equality lookup in
any database; candidates are then ranked by their signatures.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from datasketch import MinHash

from .normalize import text_normalize

SHINGLE = 3  # characters per shingle
NUM_PERM = 128  # values per signature
BANDS = 64
ROWS = NUM_PERM // BANDS  # values per band
SEED = 20240901  # fixed: signatures stored in the database must stay comparable
SCHEME = "affine32"  # datasketch 2 permutation scheme; part of the version below
FINGERPRINT_VERSION = f"1:{SCHEME}:k{SHINGLE}:p{NUM_PERM}:b{BANDS}:s{SEED}"
MAX_CHARS = 400_000  # the first this many normalised characters are fingerprinted
_BATCH = 8192


def shingles(normal: str, k: int = SHINGLE) -> set[str]:
    """The set of ``k``-character runs of an already normalised text.

    A text shorter than ``k`` (but not empty) is its own single shingle.
    """
    if not normal:
        return set()
    if len(normal) <= k:
        return {normal}
    return {normal[i : i + k] for i in range(len(normal) - k + 1)}


@functools.cache
def _template() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)


def signature_of_shingles(items: set[str]) -> np.ndarray:
    """The MinHash signature (``NUM_PERM`` unsigned 32-bit values) of a set of shingles."""
    minhash = MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_template().permutations
    )
    encoded = [item.encode("utf-8") for item in items]
    for start in range(0, len(encoded), _BATCH):  # bounded memory: BATCH x NUM_PERM values
        minhash.update_batch(encoded[start : start + _BATCH])
    return minhash.hashvalues.astype(np.uint32)


def signature(text: str) -> tuple[np.ndarray, int]:
    """The signature of ``text`` and its number of distinct shingles (0 for no text)."""
    items = shingles(text_normalize(text)[:MAX_CHARS])
    return signature_of_shingles(items), len(items)


def band_keys(sig: np.ndarray) -> list[int]:
    """The ``BANDS`` signed 64-bit lookup keys of a signature, one per band."""
    values = np.asarray(sig, dtype="<u4")
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little"))
        keys.append(int.from_bytes(digest.digest(), "little", signed=True))
    return keys


def signature_to_bytes(sig: np.ndarray) -> bytes:
    return np.asarray(sig, dtype="<u4").tobytes()


def signature_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4")


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    """The share of equal signature positions: an estimate of the shingles' Jaccard index."""
    return float(np.count_nonzero(np.asarray(a) == np.asarray(b))) / len(a)


def overlap_from_jaccard(jaccard: float, size_a: int, size_b: int) -> float:
    """|A∩B| / min(|A|, |B|) from the Jaccard index and both set sizes."""
    if jaccard <= 0 or not size_a or not size_b:
        return 0.0
    common = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, common / min(size_a, size_b))


def overlap_estimate(a: np.ndarray, size_a: int, b: np.ndarray, size_b: int) -> float:
    """The share of the smaller document's shingles found in the other one (estimated)."""
    return overlap_from_jaccard(jaccard_estimate(a, b), size_a, size_b)
