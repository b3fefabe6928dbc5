# Failure reasons become a code plus parameters, worded when shown; the reasons already
# stored as words (in Chinese or English) are read back into codes where they are known.

import re

from django.db import migrations, models

# The words each reason was stored with before this migration, in both languages.
KNOWN = {
    "encrypted": [
        "文件已加密，请去除密码后重新上传",
        "The file is encrypted; remove the password and upload it again.",
    ],
    "corrupt": ["文件已损坏，无法打开", "The file is damaged and cannot be opened."],
    "empty": ["文档没有任何页面", "The document has no pages."],
    "converter_crashed": [
        "转换程序在读取该文件时意外中止",
        "The converter stopped unexpectedly while reading this file.",
    ],
    "converter_unavailable": [
        "文档转换程序无法启动，稍后将自动重试",
        "The document converter could not be started; the document will be tried again.",
    ],
    "converter_missing": [
        "服务器未安装 LibreOffice（soffice），无法转换该文档",
        "LibreOffice (soffice) is not installed on this server.",
    ],
    "too_complex": [
        "文档过大或过于复杂，无法显示（所需内存超出限制）",
        "The document is too large or too complex to display (it needed more memory than allowed).",
    ],
}
PATTERNS = [
    ("timeout", r"文档转换超过(?P<seconds>\d+)秒，已中止"),
    ("timeout", r"Converting the document took longer than (?P<seconds>\d+) seconds and was stopped\."),
    ("too_many_pages", r"文档共(?P<pages>\d+)页，超过了(?P<limit>\d+)页的上限"),
    ("too_many_pages", r"The document has (?P<pages>\d+) pages; at most (?P<limit>\d+) are accepted\."),
]


def reason_code(text):
    for code, wordings in KNOWN.items():
        if text in wordings:
            return code, {}
    for code, pattern in PATTERNS:
        match = re.fullmatch(pattern, text)
        if match:
            return code, {name: int(value) for name, value in match.groupdict().items()}
    return "", {}


def codes_from_words(apps, schema_editor):
    Document = apps.get_model("library", "Document")
    for document in Document.objects.exclude(error="").filter(error_code="").only("error"):
        code, params = reason_code(document.error.strip())
        if code:
            Document.objects.filter(pk=document.pk).update(error_code=code, error_params=params)


class Migration(migrations.Migration):

    dependencies = [
        ('library', '0005_more_formats'),
    ]

    operations = [
        migrations.AddField(
            model_name='document',
            name='error_code',
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name='document',
            name='error_params',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(codes_from_words, migrations.RunPython.noop),
    ]
