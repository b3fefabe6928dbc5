"""The seed page's document as a real DOCX, through the real pipeline (LibreOffice)."""

from __future__ import annotations

import io
import re

import pytest

from wenyuan.conftest import CORPUS, needs_soffice
from wenyuan.trust import services

SEED_PAGE = CORPUS.parent / "seed" / "page.txt"


def seed_docx() -> bytes:
    import docx

    if not SEED_PAGE.exists():
        pytest.skip("shared seed page not present")
    page = SEED_PAGE.read_text(encoding="utf-8")
    body = page[page.index("2023年做好群众工作经验沟通材料") : page.index("此文档下载")]
    title, _, rest = body.partition(" ")
    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in re.split(r" (?=[一二三四五]、)", rest.strip()):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@needs_soffice
def test_the_seed_docx_is_flagged_as_spun_with_its_real_spans(published):
    document = published(seed_docx(), filename="2023年做好群众工作经验交流材料.docx")
    quality = services.quality_compute(document=document)
    spun = quality["spun"]
    assert spun["flagged"], spun["score"]
    top = [(s["text"], s["original"]) for s in spun["spans"][:8]]
    assert ("宽敞", "广大") in top and ("怜悯", "同情") in top
    assert all(s["page"] >= 1 for s in spun["spans"])
    assert not quality["title_mismatch"]["flagged"] and not quality["junk"]["flagged"]
