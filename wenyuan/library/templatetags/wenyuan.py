from django import template

register = template.Library()


@register.filter
def filesize(value) -> str:
    """Exact-looking sizes as document sites show them: 16.67KB, 1.25MB, 512B."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size}B"
    if size < 1024 * 1024:
        return f"{size / 1024:.2f}KB"
    if size < 1024**3:
        return f"{size / 1024**2:.2f}MB"
    return f"{size / 1024**3:.2f}GB"


@register.simple_tag
def page_image(document, number, size="read"):
    """The signed URL of a page image."""
    from wenyuan.library.selectors import page_image_url

    return page_image_url(document=document, number=number, size=size)
