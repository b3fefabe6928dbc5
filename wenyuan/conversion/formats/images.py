"""Images and scans (JPEG, PNG, TIFF with many pages, and HEIC through ``pillow-heif``,
a family of its own so that a machine without it turns HEIC off alone): one page per frame in a PDF made in a contained child (``imaging``), then
read by OCR (Tesseract chi_sim+eng) as scans are."""

from __future__ import annotations

from pathlib import Path

from wenyuan.conversion.formats import Family, Format, Tool, family_register, module


def images_sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1"):
        return "heic"
    return None


def images_to_pdf(source: Path, work_dir: Path) -> Path:
    from django.conf import settings

    from wenyuan.conversion.prepare import PrepareError, pipeline_error, prepare_run

    folder = (work_dir / "prepare").resolve()
    folder.mkdir(exist_ok=True)
    target = folder / "images.pdf"
    try:
        prepare_run(
            "images",
            str(source.resolve()),
            str(target),
            folder=folder,
            timeout=settings.WENYUAN_PREPARE_TIMEOUT,
            readable=(source.resolve(),),
        )
    except PrepareError as exc:
        raise pipeline_error(exc) from None
    return target


def _image(key, label, mime, *extensions):
    return Format(key, label, mime, extensions, "image")


IMAGES = family_register(
    Family(
        name="images",
        label="Images",
        formats=(
            _image("jpeg", "JPEG", "image/jpeg", "jpg", "jpeg", "jpe"),
            _image("png", "PNG", "image/png", "png"),
            _image("tiff", "TIFF", "image/tiff", "tif", "tiff"),
            _image("scans", "Images in a ZIP (a page each)", "application/zip", "zip"),
        ),
        to_pdf=images_to_pdf,
        tools=(Tool("Pillow", module("PIL"), pypi="Pillow"),),
        sniff=images_sniff,
    )
)
HEIC = family_register(
    Family(
        name="heic",
        label="HEIC",
        formats=(_image("heic", "HEIC", "image/heic", "heic", "heif"),),
        to_pdf=images_to_pdf,
        tools=(Tool("pillow-heif", module("pillow_heif"), pypi="pillow-heif"),),
    )
)
