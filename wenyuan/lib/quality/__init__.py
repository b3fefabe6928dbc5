"""Quality signals of an uploaded document, as pure functions over its title and text.

- ``normalize``: Chinese text normalisation and the normalised-text hash (exact duplicates);
- ``minhash``: character shingles, MinHash signatures, LSH band keys (near-duplicates);
- ``spin``: synonym-spinning artefacts, with ``charlm`` (a character n-gram model of clean
  Chinese, shipped in ``data/``) and ``lexicon`` (the detector's synonym resources);
- ``title``: title/content mismatch; ``junk``: empty or repetitive documents;
- ``signals.quality_signals``: all of them, as the ``quality`` dict of the API;
- ``edits``: re-formatting, dropping, reordering and a test spinner, for tests and benchmarks.

Nothing here imports Django; docs/quality.md explains each signal and its numbers.
"""

from .signals import QUALITY_VERSION, Fingerprint, fingerprint_of, quality_signals

__all__ = ["QUALITY_VERSION", "Fingerprint", "fingerprint_of", "quality_signals"]
