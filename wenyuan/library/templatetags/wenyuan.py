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


class _FragmentNode(template.Node):
    def __init__(self, nodelist, key):
        self.nodelist = nodelist
        self.key = key

    def render(self, context):
        from django.utils.safestring import mark_safe

        from wenyuan.core.pagecache import fragment_render

        key = self.key.resolve(context) or ""
        return mark_safe(fragment_render(key, lambda: self.nodelist.render(context)))


@register.tag
def fragment(parser, token):
    """``{% fragment key %}…{% endfragment %}``: the enclosed part, kept rendered under
    ``key`` (``core.pagecache.fragment_key``; an empty key renders it every time)."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% fragment %} takes one argument: the key")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return _FragmentNode(nodelist, parser.compile_filter(bits[1]))


@register.simple_tag
def page_image(document, number, size="read"):
    """The signed URL of a page image."""
    from wenyuan.library.selectors import page_image_url

    return page_image_url(document=document, number=number, size=size)


@register.simple_tag(takes_context=True)
def cover_url(context, document):
    """The URL of the cover this reader may see: the first page, or the generated one.

    Lists mark their documents first (``views._with_covers``, one question for the whole
    list); a document that was not marked is asked about alone.
    """
    from wenyuan.library.entitlements import documents_cover_readable
    from wenyuan.library.selectors import cover_url as url

    readable = getattr(document, "cover_readable", None)
    if readable is None:
        request = context.get("request")
        user = getattr(request, "user", None)
        readable = document.pk in documents_cover_readable(user=user, documents=[document])
    return url(document=document, first_page=readable)


@register.filter
def format_family(fmt: str) -> str:
    """The family key of a format (``word``, ``ppt``, …): its badge's colour class."""
    from wenyuan.library.formats import format_family as family

    return family(fmt).key


@register.inclusion_tag("library/_pager.html", takes_context=True)
def pager(context, number, num_pages):
    """Numbered pages (1 … 4 5 [6] 7 8 … 20) with 跳转 to a page, keeping the other
    parameters of the request (search words, filters, order)."""
    from django.core.paginator import Paginator

    request = context.get("request")
    params = request.GET.copy() if request is not None else None
    if params is not None:
        params.pop("page", None)
    base = params.urlencode() if params else ""
    try:
        number, num_pages = int(number), int(num_pages)
    except (TypeError, ValueError):
        number, num_pages = 1, 0
    pages = []
    if num_pages > 1:
        paginator = Paginator(range(num_pages), 1)
        pages = list(paginator.get_elided_page_range(number, on_each_side=2, on_ends=1))
    return {
        "number": number,
        "num_pages": num_pages,
        "pages": pages,
        "ellipsis": Paginator.ELLIPSIS,
        "base": base,
        "hidden": [(k, v) for k in (params or {}) for v in params.getlist(k)],
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < num_pages else None,
    }


@register.filter
def qr_svg(text: str) -> str:
    """``text`` (a link) as a QR code in inline SVG, for WeChat's 扫一扫 (segno, pure Python)."""
    import segno
    from django.utils.safestring import mark_safe

    svg = segno.make(str(text), error="m").svg_inline(scale=4, dark="#1f2933", light="#ffffff")
    return mark_safe(svg)  # noqa: S308  (segno writes only paths; the text is encoded, not embedded)
