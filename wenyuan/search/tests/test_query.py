"""The analyzer and the query parser: pure functions, no database."""

from __future__ import annotations

import random

from wenyuan.search.analyzer import analyze
from wenyuan.search.backends.postgres import tsvector_literal
from wenyuan.search.query import fts5_expression, query_parse, tsquery_expression


def test_search_mode_segmentation_finds_the_shorter_word_inside():
    tokens = analyze("东京都报告书")
    assert "东京" in tokens and "东京都" in tokens and "报告书" in tokens
    assert query_parse("东京").tokens == ["东京"]


def test_normalisation_is_the_same_for_documents_and_queries():
    assert analyze("ＰＹＴＨＯＮ　３．１１版本") == analyze("python 3.11版本")
    assert analyze("Python, 3.11!") == ["python", "3", "11"]
    assert analyze("“群众”，「工作」。") == ["群众", "工作"]
    assert analyze("a\x00b") == ["a", "b"]
    assert analyze("🙂🙂") == []


def test_chinese_is_never_folded():
    # Traditional characters stay traditional (jieba's dictionary is simplified, so they
    # come out one by one, the same in documents and in queries).
    assert analyze("經濟發展") == ["經", "濟", "經濟", "發", "濟發", "展", "發展"]
    assert analyze("经济发展") == ["经济", "发展"]


def test_quotes_minus_and_limits():
    parsed = query_parse('群众 "人民 路线" -小说 “党的建设”')
    kinds = [(t.text, t.phrase, t.negated) for t in parsed.terms]
    assert kinds == [
        ("群众", False, False),
        ("人民 路线", True, False),
        ("小说", False, True),
        ("党的建设", True, False),
    ]
    assert not query_parse("-小说").searchable
    assert not query_parse('"" - -- ，。！').searchable
    huge = query_parse("经济 " * 10_000)
    assert len(huge.raw) <= 200 and len(huge.terms) == 1
    many = query_parse(" ".join(f"词{i}" for i in range(50)))
    assert len(many.terms) == 10


def test_every_token_is_quoted_in_backend_syntax():
    parsed = query_parse("a\"b NEAR(x y) title:z * AND OR NOT ^c 'd\\")
    match = fts5_expression(parsed)
    # Each token appears only inside double quotes: nothing bare can be FTS5 syntax.
    outside = "".join(part for i, part in enumerate(match.split('"')) if i % 2 == 0)
    assert set(outside) <= set("() ANDORT")
    # Only letters and digits survive the analyzer, and the quoting is there regardless.
    assert tsquery_expression(query_parse("it's a\\b")) == "(('it') & ('a' & 'b'))"
    assert fts5_expression(query_parse('群众工作 "人民 路线" -小说')) == (
        '(("群众 工作" OR ("群众" AND "工作")) AND "人民 路线") NOT ("小说")'
    )


def test_unknown_words_are_held_together_by_character_pairs():
    # 埋香冢 is not in jieba's dictionary: its characters come with their pairs.
    assert analyze("埋香冢") == ["埋", "香", "埋香", "冢", "香冢"]
    assert analyze("埋，香") == ["埋", "香"]  # never across punctuation
    assert not query_parse("埋香冢").terms[0].phrase


def test_highlights_prefer_the_whole_term():
    parsed = query_parse('群众工作 "人民 路线"')
    strings = parsed.highlights()
    assert strings[0] in ("群众工作", "人民 路线")
    assert "人民路线" in strings and "群众" in strings


def test_tsvector_literal_positions_weights_and_quoting():
    literal = tsvector_literal([(["东京", "it's"], "A"), (["东京"], "")])
    assert literal == "'东京':1A,4 'it''s':2A"


def test_random_junk_always_parses():
    rng = random.Random(4)
    alphabet = "\"“”「」-—*:^(){}[]\\'`~!@#$%&+=|;,.<>/?\x00\t\n 的了群众工作AND OR NOT NEAR 😀𠀀"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        parsed = query_parse(text)
        if parsed.searchable:
            assert fts5_expression(parsed).count('"') % 2 == 0
            tsquery_expression(parsed)
