"""The spin detector on the seed page's real spun text and on clean held-out text."""

from __future__ import annotations

import pytest

from wenyuan.lib.quality import edits, spin
from wenyuan.lib.quality.charlm import CharModel, model_build, model_load


@pytest.fixture(scope="module")
def seed_result(seed_body):
    return spin.spin_detect(seed_body)


def test_the_seed_text_is_flagged_with_its_real_spins_on_top(seed_result, seed_body):
    assert seed_result.flagged
    top = [(s.text, s.original) for s in seed_result.spans[:6]]
    assert ("宽敞", "广大") in top  # 宽敞群众 from 广大群众
    assert ("怜悯", "同情") in top  # 不怜悯况 from 不同情况, across a word boundary
    for span in seed_result.spans:
        assert seed_body[span.start : span.end] == span.text  # offsets into the text as given


def test_topic_words_are_not_what_is_flagged(seed_result):
    texts = {s.text for s in seed_result.spans}
    assert not texts & {"群众工作", "群众", "工作", "党", "领导干部"}
    real = {spun for _, spun in edits.SEED_PAIRS}
    # Most of what is flagged is one of the tool's real substitutions.
    assert sum(1 for s in seed_result.spans if s.text in real) / len(seed_result.spans) > 0.5


@pytest.mark.parametrize(
    "name", ["news__peoples_daily_199801.plain.txt", "novel__红楼梦.txt", "novel__水浒传.txt"]
)
def test_clean_text_is_not_flagged(held_out, name):
    passages = held_out(name, size=1500, count=4, seed=314)
    assert len(passages) >= 3
    for passage in passages:
        result = spin.spin_detect(passage)
        assert not result.flagged, (result.score, [(s.text, s.original) for s in result.spans])


def test_a_spun_copy_scores_far_above_its_original(held_out):
    original = held_out("news__peoples_daily_199801.plain.txt", size=4000, count=1, seed=8)[0]
    spun, subs = edits.spin(original, edits.seed_table(), per_1000=27, seed=2)
    assert len(subs) >= 10
    assert spin.spin_detect(spun).score > spin.spin_detect(original).score


def test_short_texts_are_never_flagged():
    assert not spin.spin_detect("宽敞群众不怜悯况").flagged


def test_the_model_is_built_by_a_command_from_text(tmp_path):
    from wenyuan.lib.quality import charlm

    corpus = tmp_path / "zh-text"
    corpus.mkdir()
    for name in charlm.SOURCES:
        (corpus / name).write_text("广大群众的根本利益。\n" * 120, encoding="utf-8")
    stats = model_build(corpus, tmp_path / "m.npz")
    assert stats["ngrams"][4] > 0
    built = model_load(tmp_path / "m.npz")
    assert isinstance(built, CharModel)
    assert built.score("广大群众") > built.score("宽敞群众")
    shipped = model_load()
    assert shipped.count("群众") > 100 and shipped.count("宽敞群众") == 0


def test_a_word_at_the_very_end_of_the_text_is_one_site_within_the_text():
    """A lexicon word in the last characters is looked up as a 4-, 3- and 2-character
    slice; a slice cut short by the end of the text is not a longer word, so it must not
    become a second site reaching past the text (pooled twice, or an IndexError when its
    span is mapped back to the text)."""
    detector = spin.detector_load()
    word = "广大"  # a lexicon word with candidates (宽敞 is one of its relatives)
    assert detector.candidates(word)
    folded, _ = spin._fold("我们要依靠" + word)
    sites = [site for site, _ in detector._sites(folded)]
    at_end = [s for s in sites if s.start == len(folded) - len(word)]
    assert len(at_end) == 1
    assert all(s.end <= len(folded) for s in sites)
