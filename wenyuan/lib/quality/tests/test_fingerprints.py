"""Normalisation, exact text hashes and MinHash fingerprints, on real text."""

from __future__ import annotations

import numpy as np

from wenyuan.lib.quality import edits, minhash
from wenyuan.lib.quality.normalize import text_hash, text_normalize

PD = "news__peoples_daily_199801.plain.txt"


def test_normalisation_folds_width_punctuation_space_and_script():
    assert text_normalize("ＡＢＣ１２３，说话。\n  乾淨 頭髮！") == "abc123说话干净头发"
    assert text_hash("群众路线是我们党的根本路线。") == text_hash("群众 路线，是我們黨的根本路線")
    assert text_hash("") == "" and text_hash(" 。，\n") == ""


def test_a_reformatted_copy_has_the_same_text_hash(held_out):
    text = held_out(PD, count=1)[0]
    copy = edits.reformat(text, seed=3)
    assert copy != text
    assert text_hash(copy) == text_hash(text)


def test_copies_overlap_their_original_and_strangers_do_not(held_out):
    original, stranger = held_out(PD, size=2000, count=2, seed=5)
    sig, size = minhash.signature(original)
    table = edits.seed_table()
    copies = [
        edits.sentences_drop(original, share=0.2, seed=1),
        edits.sentences_reorder(original, share=0.4, seed=2),
        edits.spin(edits.sentences_drop(original, share=0.1), table, per_1000=27, seed=3)[0],
    ]
    for copy in copies:
        other, other_size = minhash.signature(copy)
        assert minhash.overlap_estimate(sig, size, other, other_size) > 0.7
        assert set(minhash.band_keys(sig)) & set(minhash.band_keys(other))
    strange, strange_size = minhash.signature(stranger)
    assert minhash.overlap_estimate(sig, size, strange, strange_size) < 0.15


def test_signatures_and_band_keys_are_stable():
    sig, size = minhash.signature("群众观点是马克思主义的根本观点，群众路线是我们党的根本路线。")
    again, _ = minhash.signature("群众观点是马克思主义的根本观点 群众路线是我们党的根本路线")
    assert np.array_equal(sig, again) and size == 25
    assert minhash.signature_from_bytes(minhash.signature_to_bytes(sig)).tolist() == sig.tolist()
    keys = minhash.band_keys(sig)
    assert len(keys) == minhash.BANDS == len(set(keys))
    assert all(-(2**63) <= k < 2**63 for k in keys)
    assert minhash.signature("")[1] == 0
