"""The API's request and response schemas (the operations are in ``api.py``)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from wenyuan.api import params


class Credentials(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)


class Registration(Schema):
    username: str = Field(
        min_length=1,
        max_length=150,
        pattern=params.USERNAME,
        description="Letters, digits and @ . + - _ (as the web form).",
    )
    password: str = Field(
        min_length=params.PASSWORD_MIN,
        max_length=4096,
        pattern=params.PASSWORD_NOT_DIGITS,
        description=f"At least {params.PASSWORD_MIN} characters, not only digits; a very common "
        "password or one too like the user name is refused (400 `invalid_account`).",
    )


class TokenRequest(Credentials):
    name: str = Field(
        "", max_length=100, description="What the token is for (default: the client's User-Agent)."
    )
    expires_days: int | None = Field(
        None, ge=1, le=365, description="Lifetime in days (default: WENYUAN_TOKEN_DAYS)."
    )


class UserOut(Schema):
    id: int
    username: str


class TokenOut(Schema):
    token: str
    id: int
    name: str
    expires_at: datetime


class TokenInfo(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    expired: bool
    current: bool


class Accepted(Schema):
    id: int
    status: str


class CategoryOut(Schema):
    slug: str
    name: str


class OutlineEntryOut(Schema):
    title: str = Field(description="The heading (nothing else of its page is shown).")
    level: int = Field(description="1 for a top-level heading, 2 below it, and so on.")
    page: int
    locked: bool = Field(description="The page is beyond what the caller may read.")


class SourceMetadataOut(Schema):
    author: str = Field(description="The author the file declares ('' when none).")
    created: str | None = Field(description="The creation date the file declares (YYYY-MM-DD).")


class DocumentOut(Schema):
    id: int
    title: str
    filename: str
    format: str
    size_bytes: int
    pages: int | None
    uploaded_at: str
    published_at: str | None
    status: str
    stage: str
    error: str | None
    error_code: str | None
    status_reason: str = Field(
        "", description="Why the document is not published (to its uploader and staff only)."
    )
    keywords: list[str]
    price: int
    free_pages: int
    search_free_only: bool = Field(
        description="Only the free pages are searchable (chosen by the uploader or for the category)."
    )
    vip_free: bool = Field(
        description="Free for VIP members (chosen by the uploader or by staff for the category)."
    )
    readable_pages: int = Field(description="How many leading pages the caller may read.")
    entitled: bool = Field(description="The caller may read every page and download the original.")
    author: str
    category: CategoryOut | None
    downloads: int
    views: int
    url: str
    quality: dict
    ocr_pages: int
    progress: dict
    cover_url: str | None = Field(
        description="The caller's cover: the first page's thumbnail when they may read it, "
        "else a generated one (SVG) with the title and format."
    )
    outline: list[OutlineEntryOut] = Field(
        description="The source's table of contents (PDF bookmarks, Word headings, an "
        "e-book's chapters); empty when it has none or its content is withheld."
    )
    metadata: SourceMetadataOut


class DocumentBrief(Schema):
    id: int
    title: str
    format: str
    pages: int | None
    price: int
    category: str | None
    published_at: str | None
    downloads: int
    url: str


class PageOut(Schema):
    number: int
    text: str
    ocr: bool


class SearchResult(DocumentBrief):
    title_html: str
    snippet: str
    snippet_html: str
    snippet_page: int | None = Field(
        description="The page the snippet comes from: always one the caller may read."
    )
    snippet_locked: bool = Field(
        deprecated=True,
        description="Always false: a result never says whether or where locked pages matched.",
    )
    page_url: str | None


class SearchSuggestion(Schema):
    keyword: str
    documents: int


class SearchOut(Schema):
    query: str
    total: int
    total_exact: bool
    page: int
    per_page: int
    pages: int
    sort: str
    partial: bool
    suggestions: list[SearchSuggestion]
    results: list[SearchResult]


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class DownloadLinkOut(Schema):
    url: str
    expires_at: str
