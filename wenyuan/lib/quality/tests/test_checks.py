"""Title/content mismatch and empty or junk documents."""

from __future__ import annotations

from wenyuan.lib.quality.junk import junk_check
from wenyuan.lib.quality.title import title_check, title_words

PD = "news__peoples_daily_199801.plain.txt"


def test_title_words_drop_file_name_debris():
    assert title_words("2023年做好群众工作经验交流材料.docx") == [
        "做好",
        "群众",
        "工作",
        "经验交流",
    ]


def test_the_seed_title_matches_its_spun_text(seed_body):
    result = title_check(title="2023年做好群众工作经验交流材料", text=seed_body)
    assert not result.flagged
    assert result.coverage >= 0.75  # 经验交流 became 经验沟通 in the body, the rest is there


def test_a_title_about_something_else_is_flagged(seed_body):
    result = title_check(title="高中物理电磁感应习题精选", text=seed_body)
    assert result.flagged
    assert result.coverage == 0.0
    assert "电磁感应" in result.missing or "电磁" in result.missing


def test_a_short_text_or_a_one_word_title_is_not_judged(seed_body):
    assert not title_check(title="物理习题", text="短").flagged
    assert not title_check(title="物理", text=seed_body).flagged


def test_real_text_is_not_junk(held_out):
    for passage in held_out(PD, count=3) + held_out("classical__shijing.txt", count=2):
        result = junk_check(pages=[passage])
        assert not result.flagged, (result, passage[:40])


def test_pages_without_text_are_empty():
    result = junk_check(pages=["", "  ", "第3页", ""])
    assert result.flagged and result.reason == "empty"
    assert result.empty_pages == 4
    assert junk_check(pages=[]).reason == "empty"


def test_repeated_characters_and_blocks_are_junk(held_out):
    assert junk_check(pages=["啊" * 500]).reason == "repetitive"
    block = held_out(PD, size=120, count=1)[0]
    repeated = junk_check(pages=[block * 30])
    assert repeated.flagged and repeated.reason == "repetitive"
    assert repeated.distinct_share < 0.1
