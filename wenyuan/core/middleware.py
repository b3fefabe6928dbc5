from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = {code for code, _name in settings.LANGUAGES}
API_PREFIX = "/api/"


def _from_accept_language(header: str) -> str | None:
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class ChineseFirstLocaleMiddleware:
    """The language of a response.

    Pages: Simplified Chinese unless the visitor chose another language (the language
    cookie). Django's LocaleMiddleware would follow the browser's Accept-Language, which
    shows an English page to every visitor whose browser happens to be set up in English.

    The API (``/api/``): what the client asks for in Accept-Language, then the cookie, then
    the default; its responses say ``Vary: Accept-Language``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith(API_PREFIX)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if is_api:
            language = _from_accept_language(request.headers.get("Accept-Language", "")) or language
        if language not in SUPPORTED:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if is_api:
            patch_vary_headers(response, ["Accept-Language"])
        translation.deactivate()
        return response
