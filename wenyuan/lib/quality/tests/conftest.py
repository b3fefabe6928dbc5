"""Real text for the quality tests: the seed page and held-out blocks of the corpus."""

from __future__ import annotations

import pytest

from wenyuan.conftest import CORPUS, corpus_path

SEED_PAGE = CORPUS.parent / "seed" / "page.txt"


@pytest.fixture(scope="session")
def seed_body() -> str:
    """The seed page's spun document text (its body, without the site's furniture)."""
    if not SEED_PAGE.exists():
        pytest.skip("shared seed page not present")
    page = SEED_PAGE.read_text(encoding="utf-8")
    return page[page.index("2023年做好群众工作经验沟通材料") : page.index("此文档下载")]


@pytest.fixture(scope="session")
def held_out():
    """Passages of a corpus file from the blocks the character model never counted."""
    from wenyuan.lib.quality import charlm, edits

    def take(name: str, *, size: int = 1500, count: int = 5, seed: int = 0) -> list[str]:
        text = corpus_path(f"zh-text/{name}").read_text(encoding="utf-8")
        return list(
            edits.passages(
                charlm.corpus_split(text, held_out=True), size=size, count=count, seed=seed
            )
        )

    return take
