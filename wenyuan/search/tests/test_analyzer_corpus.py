"""rjieba (the analyzer's segmenter) cuts the real Chinese text of the shared corpus
exactly as jieba does, so moving to it changed no token.  A sample in the everyday run;
every line of ``zh-text`` (5.3 M characters) in the slow run."""

from __future__ import annotations

import pytest

from wenyuan.conftest import CORPUS
from wenyuan.search import analyzer


def _lines(step: int) -> list[str]:
    folder = CORPUS / "zh-text"
    if not folder.is_dir():
        pytest.skip("the shared corpus is not present")
    lines = []
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8").splitlines()
        lines += [line for line in text[::step] if line.strip()]
    return lines


def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return lambda text: list(jieba.cut_for_search(text, HMM=False))


def _differences(lines: list[str]) -> list[tuple[str, list[str], list[str]]]:
    cut = _jieba()
    found = []
    for line in lines:
        expected, got = cut(line), analyzer._segment(line)
        if expected != got:
            found.append((line[:80], expected[:20], got[:20]))
    return found


def test_rjieba_segments_a_sample_of_the_corpus_as_jieba_does():
    lines = _lines(step=40)
    assert sum(map(len, lines)) > 100_000
    assert _differences(lines) == []


@pytest.mark.slow
def test_rjieba_segments_the_whole_chinese_corpus_as_jieba_does():
    lines = _lines(step=1)
    assert sum(map(len, lines)) > 5_000_000
    assert _differences(lines) == []


def test_the_analyzer_version_names_the_segmenter():
    # A new segmenter (or a new release of it) rebuilds the index: `reindex --if-needed`.
    assert analyzer.ANALYZER_VERSION.startswith("4:rjieba-")
