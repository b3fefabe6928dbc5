"""The Chinese catalogue: complete, compiled from the current .po, and covering every
reason the pipeline can give for a failed document."""

from pathlib import Path

import polib
from django.utils import translation

from wenyuan.conversion.errors import MESSAGES, error_message

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_is_translated_and_the_compiled_catalogue_is_current():
    po = polib.pofile(str(LOCALE / "django.po"))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(LOCALE / "django.mo"))}
    source = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()}
    assert compiled == source, "recompile: polib.pofile(po).save_as_mofile(mo)"


def test_every_failure_reason_reads_in_chinese():
    params = {"seconds": 120, "pages": 2500, "limit": 2000}
    for code in MESSAGES:
        with translation.override("en"):
            english = error_message(code, params)
        with translation.override("zh-hans"):
            chinese = error_message(code, params)
        assert chinese != english, code
        assert any("\u4e00" <= char <= "\u9fff" for char in chinese), code
