"""Configuration from environment variables, described as data.

Every setting Wenyuan reads is listed in ``SETTINGS`` with its default and help text;
``docs/settings.md`` and ``.env.example`` are generated from this list, and a test fails
when they drift.  Readers are strict: a boolean that is neither true nor false, or an int
that is not an int, stops the start with a clear message instead of guessing.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    """A configuration variable holds a value Wenyuan cannot use."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    kind: str = "str"  # str | bool | int | path | secret | list | plans
    # Runtime settings: staff change them while the site runs (/staff/settings/, kept in
    # the database with a change log: wenyuan.core.sitesettings); the environment's value
    # is the default until staff override it.  All others are fixed at start.
    runtime: bool = False
    minimum: int | None = None  # int settings: bounds a staff change must respect
    maximum: int | None = None
    choices: tuple[str, ...] = ()  # str settings: the only values allowed, when given


SETTINGS: list[Setting] = [
    Setting(
        "WENYUAN_HOME",
        "./data",
        "Folder holding the embedded database, files, queue and indexes.",
        "path",
    ),
    Setting("WENYUAN_DEBUG", "false", "Django debug mode. Never on in production.", "bool"),
    Setting(
        "WENYUAN_SECRET_KEY",
        "",
        "Django secret key; when empty one is generated once and kept in WENYUAN_HOME/secret_key. A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_SECRET_KEY_FALLBACKS",
        "",
        "Former secret keys, comma-separated, while rotating WENYUAN_SECRET_KEY: signatures made with them (sessions, page-image links) keep working until they are removed. A _FILE variant reads them from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_ALLOWED_HOSTS",
        "127.0.0.1,localhost,[::1]",
        "Comma-separated host names the site answers to.",
        "list",
    ),
    Setting(
        "WENYUAN_CSRF_TRUSTED_ORIGINS",
        "",
        "Comma-separated origins trusted for CSRF (behind a proxy with another host name).",
        "list",
    ),
    # Security: HTTPS, proxies, rate limits, API tokens (docs/security.md).
    Setting(
        "WENYUAN_HTTPS",
        "false",
        "The site is reached over HTTPS (through a TLS proxy): secure session, CSRF, language and device cookies, HSTS, and X-Forwarded-Proto honoured from WENYUAN_TRUSTED_PROXIES.",
        "bool",
    ),
    Setting(
        "WENYUAN_HSTS_SECONDS",
        "31536000",
        "Strict-Transport-Security max-age sent when WENYUAN_HTTPS is on; 0 sends none.",
        "int",
    ),
    Setting(
        "WENYUAN_TRUSTED_PROXIES",
        "",
        "Comma-separated addresses or CIDR ranges of the reverse proxies in front of Wenyuan. Only requests from them have X-Forwarded-For (the right-most address not in this list is the client) and X-Forwarded-Proto read; empty means the connecting address is the client.",
        "list",
    ),
    Setting(
        "WENYUAN_LOGIN_RATE",
        "5/15m",
        "Failed log-ins allowed per account (from devices that never logged in to it) and per client address (count/period) before the log-in page asks for a CAPTCHA and the API makes the client wait, longer after each further failure.",
    ),
    Setting(
        "WENYUAN_LOGIN_ADDRESS_RATE",
        "50/15m",
        "Log-in attempts, right or wrong, allowed from one client address (count/period); beyond it that address gets 429 until the period ends.",
    ),
    Setting(
        "WENYUAN_REGISTER_RATE",
        "20/1h",
        "Registration attempts allowed from one client address (count/period); beyond it 429.",
    ),
    Setting(
        "WENYUAN_REGISTER_CAPTCHA_AFTER",
        "3",
        "Registration attempts from one client address (within WENYUAN_REGISTER_RATE's period) after which the form asks for a CAPTCHA and the API refuses; 0 asks always.",
        "int",
    ),
    Setting(
        "WENYUAN_REGISTER_GLOBAL_RATE",
        "300/1h",
        "New accounts allowed on the whole site (count/period); beyond it registration answers 429 until the period ends.",
    ),
    Setting(
        "WENYUAN_UPLOAD_RATE",
        "200/1h",
        "Files a user, and a client address, may upload through the site and the API (count/period); `wenyuan import` is not limited.",
    ),
    Setting(
        "WENYUAN_UPLOAD_VOLUME_RATE",
        "2048/1h",
        "Megabytes a user, and a client address, may upload through the site and the API (megabytes/period).",
    ),
    Setting(
        "WENYUAN_TOKEN_DAYS",
        "90",
        "Days an API token lives unless its owner chooses another lifetime (at most 365).",
        "int",
    ),
    Setting(
        "WENYUAN_MAX_TOKENS",
        "20",
        "API tokens one user may hold; a new one beyond it revokes the least recently used.",
        "int",
    ),
    Setting(
        "DATABASE_URL",
        "",
        "Database URL (postgres://…); empty means SQLite in WAL mode at WENYUAN_HOME/wenyuan.sqlite3.",
    ),
    Setting(
        "REDIS_URL",
        "",
        "Redis URL; when set the job queue and the cache use Redis so many workers on many machines share them.",
    ),
    # Object storage (docs/backup-import.md, "Object storage"): empty bucket = local files.
    Setting(
        "WENYUAN_S3_BUCKET",
        "",
        "Keep originals, PDFs and page images in this S3 bucket (django-storages with boto3) instead of WENYUAN_HOME/files. Page images are still served through Wenyuan's own authorisation (streamed), never by a public bucket URL.",
    ),
    Setting(
        "WENYUAN_S3_ENDPOINT_URL",
        "",
        "URL of an S3-compatible service (MinIO, Ceph, moto…); empty means AWS.",
    ),
    Setting("WENYUAN_S3_REGION", "us-east-1", "Region of the bucket."),
    Setting(
        "WENYUAN_S3_ACCESS_KEY_ID",
        "",
        "Access key of the bucket. A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_S3_SECRET_ACCESS_KEY",
        "",
        "Secret key of the bucket. A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_S3_PREFIX",
        "",
        "Folder inside the bucket for this site's files (several sites may share a bucket).",
    ),
    Setting(
        "WENYUAN_REDIS_PREFIX",
        "wenyuan",
        "Name of this site's queue and cache keys in Redis (letters and digits), so that several sites, or test runs, can share one Redis database.",
    ),
    Setting(
        "WENYUAN_MAX_UPLOAD_MB", "100", "Largest file accepted for upload, in megabytes.", "int"
    ),
    Setting(
        "WENYUAN_FREE_PAGES",
        "3",
        "Default number of pages anyone may preview.",
        "int",
        runtime=True,
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "WENYUAN_CONVERT_TIMEOUT",
        "180",
        "Seconds a single LibreOffice conversion may take before it is killed.",
        "int",
    ),
    Setting(
        "WENYUAN_MAX_ATTEMPTS",
        "3",
        "Processing attempts before a document is marked failed.",
        "int",
    ),
    Setting(
        "WENYUAN_WORKERS",
        "1",
        "Worker threads in each `wenyuan worker` (and the one embedded in `wenyuan serve`).",
        "int",
    ),
    Setting(
        "WENYUAN_RENDER_TIMEOUT",
        "600",
        "Seconds rendering one document's pages may take before it is stopped.",
        "int",
    ),
    Setting(
        "WENYUAN_RENDER_MEMORY_MB",
        "2048",
        "Address-space limit of each page renderer process, in megabytes.",
        "int",
    ),
    Setting(
        "WENYUAN_RENDER_RECYCLE",
        "200",
        "Documents after which a warm page renderer process is replaced by a fresh one; 0 means never.",
        "int",
    ),
    Setting(
        "WENYUAN_LEASE_SECONDS",
        "60",
        "Seconds a worker's claim on a job lasts unless renewed; its heartbeat renews it every quarter of that, and a job whose worker stopped renewing is taken over after it.",
        "int",
    ),
    Setting(
        "WENYUAN_JOB_TIMEOUT",
        "3600",
        "Overall time budget of one processing job in seconds (conversion, rendering and OCR, all slices together); a job that uses it up fails with a reason.",
        "int",
    ),
    Setting(
        "WENYUAN_JOB_SLICE_SECONDS",
        "30",
        "Seconds of OCR after which a long job lets its worker serve other waiting jobs first; it goes on later where it stopped.",
        "int",
    ),
    Setting("WENYUAN_MAX_PAGES", "2000", "Documents with more pages than this are refused.", "int"),
    Setting(
        "WENYUAN_OCR",
        "true",
        "Recognise the text of scanned pages with Tesseract when it is installed.",
        "bool",
    ),
    Setting("WENYUAN_OCR_LANGUAGES", "chi_sim+eng", "Tesseract languages for OCR."),
    Setting("WENYUAN_SOFFICE", "soffice", "LibreOffice executable used for conversion."),
    Setting(
        "WENYUAN_CONVERTER",
        "pool",
        "How Office files become PDF: `pool` keeps LibreOffice processes warm and reuses them; `cold` starts one `soffice` per document. The pool falls back to `cold` when no Python can import LibreOffice's `uno` module.",
    ),
    Setting(
        "WENYUAN_CONVERTERS",
        "0",
        "Warm LibreOffice processes per worker process; 0 means one per worker thread (WENYUAN_WORKERS).",
        "int",
    ),
    Setting(
        "WENYUAN_CONVERT_MEMORY_MB",
        "2048",
        "Address-space limit of each warm LibreOffice process, in megabytes: 0 (no limit) or at least 1024, since LibreOffice alone takes about 900.",
        "int",
    ),
    Setting(
        "WENYUAN_CONVERT_RECYCLE",
        "200",
        "Conversions after which a warm LibreOffice process is restarted; 0 means never.",
        "int",
    ),
    Setting(
        "WENYUAN_UNO_PYTHON",
        "",
        "Python interpreter with LibreOffice's `uno` module that drives the warm pool; empty looks for LibreOffice's own, then /usr/bin/python3 (Debian package python3-uno).",
    ),
    Setting(
        "WENYUAN_SANDBOX",
        "auto",
        "`auto` runs every converter child (LibreOffice, the renderer, Tesseract, preprocessing) in a bubblewrap sandbox without network that sees only the system, its program files and its own folder, where the machine allows it (system check wenyuan.W003 says when it does not); `off` keeps the other limits only. See docs/containment.md.",
    ),
    Setting(
        "WENYUAN_PREPARE_TIMEOUT",
        "120",
        "Seconds one preprocessing step in the worker (EPUB to HTML, CSV to a workbook, text to UTF-8, checking a package again) may take before its child is killed.",
        "int",
    ),
    Setting(
        "WENYUAN_PREPARE_MEMORY_MB",
        "1024",
        "Address-space limit of each preprocessing and upload-check child, in megabytes.",
        "int",
    ),
    Setting(
        "WENYUAN_CHECK_TIMEOUT",
        "30",
        "Seconds the check of an upload (type, encryption, zip bombs, unsafe XML in every part) may take; an upload whose check overruns is refused.",
        "int",
    ),
    Setting(
        "WENYUAN_OUTPUT_MB",
        "1024",
        "The largest file a converter child may write (a PDF, a page image, an extracted part), in megabytes; a child that writes more is stopped.",
        "int",
    ),
    Setting("WENYUAN_LANGUAGE", "zh-hans", "Default interface language (zh-hans or en)."),
    # The site as staff run it (docs/operations.md, "Site settings").
    Setting(
        "WENYUAN_SITE_NAME",
        "文渊",
        "The site's name, in the title of every page and its footer.",
        runtime=True,
        maximum=60,
    ),
    Setting(
        "WENYUAN_SITE_NOTICE",
        "",
        "An announcement shown in a banner at the top of every page; empty shows none.",
        runtime=True,
        maximum=500,
    ),
    Setting(
        "WENYUAN_REGISTRATION_OPEN",
        "true",
        "New accounts may register (the page and the API); false closes registration, existing accounts still log in.",
        "bool",
        runtime=True,
    ),
    # Top-ups (docs/money.md): amounts of money are whole fen (分, 1/100 yuan), never floats.
    Setting(
        "WENYUAN_TOPUP_POINTS_PER_YUAN",
        "100",
        "Points credited per yuan paid (100: one point per fen). A top-up must convert to whole points.",
        "int",
    ),
    Setting("WENYUAN_TOPUP_MIN_FEN", "100", "Smallest top-up, in fen (100 = 1 yuan).", "int"),
    Setting(
        "WENYUAN_TOPUP_MAX_FEN", "500000", "Largest top-up, in fen (500000 = 5,000 yuan).", "int"
    ),
    Setting(
        "WENYUAN_TOPUP_PRESETS",
        "1000,3000,5000,10000,50000",
        "Comma-separated amounts in fen offered on the top-up page (any other amount within the limits can be typed).",
        "list",
    ),
    Setting(
        "WENYUAN_TOPUP_EXPIRE_MINUTES",
        "30",
        "Minutes a top-up order may wait for its payment; the provider is told the same deadline, and a periodic job expires what is left.",
        "int",
    ),
    Setting(
        "WENYUAN_TOPUP_MAX_OPEN",
        "5",
        "Unpaid top-up orders a user may have open at once.",
        "int",
    ),
    Setting(
        "WENYUAN_TOPUP_RATE",
        "20/1h",
        "Top-up orders a user may create per period (count/period).",
    ),
    Setting(
        "WENYUAN_PAYMENTS_BASE_URL",
        "",
        "Public address of the site (https://wenku.example.com) used in the notify and return URLs given to payment providers; empty uses the address of the request.",
    ),
    Setting(
        "WENYUAN_ALIPAY_APP_ID",
        "",
        "Alipay app ID; empty turns Alipay off.",
    ),
    Setting(
        "WENYUAN_ALIPAY_PRIVATE_KEY",
        "",
        "The app's RSA private key (PEM, or its bare base64 as Alipay's key tool prints it) that signs requests (RSA2). A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_ALIPAY_PUBLIC_KEY",
        "",
        "Alipay's RSA public key (支付宝公钥: PEM or bare base64) that verifies notifications and answers. A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_ALIPAY_SELLER_ID",
        "",
        "Optional: the merchant's Alipay user ID (2088…); when set, a notification must name it.",
    ),
    Setting(
        "WENYUAN_ALIPAY_GATEWAY",
        "https://openapi.alipay.com/gateway.do",
        "Alipay's gateway: where payers are sent and order queries go (the sandbox's for testing).",
    ),
    Setting(
        "WENYUAN_WECHATPAY_MCH_ID",
        "",
        "WeChat Pay merchant ID (商户号); empty turns WeChat Pay off.",
    ),
    Setting("WENYUAN_WECHATPAY_APP_ID", "", "The app ID (appid) bound to the merchant."),
    Setting(
        "WENYUAN_WECHATPAY_PRIVATE_KEY",
        "",
        "The merchant's API private key (apiclient_key.pem) that signs requests. A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_WECHATPAY_CERT_SERIAL",
        "",
        "Serial number of the merchant's API certificate, sent with every signed request.",
    ),
    Setting(
        "WENYUAN_WECHATPAY_APIV3_KEY",
        "",
        "The 32-character APIv3 key that decrypts notifications (AES-256-GCM). A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_WECHATPAY_PLATFORM_CERTS",
        "",
        "WeChat Pay platform certificate(s) (PEM, several may follow each other) that verify notifications and answers; each is chosen by its serial in Wechatpay-Serial. A _FILE variant reads them from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_WECHATPAY_PUBLIC_KEY",
        "",
        "Instead of or beside the certificates: the WeChat Pay public key (微信支付公钥, PEM). A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_WECHATPAY_PUBLIC_KEY_ID",
        "",
        "The ID of that public key (PUB_KEY_ID_…), as sent in Wechatpay-Serial.",
    ),
    Setting(
        "WENYUAN_WECHATPAY_API_BASE",
        "https://api.mch.weixin.qq.com",
        "WeChat Pay's API address, for creating Native (QR code) payments and querying orders.",
    ),
    Setting(
        "WENYUAN_TESTPAY",
        "false",
        "Turn on the test payment provider: a page that pays without money. Never on a real site; `wenyuan serve --demo` turns it on.",
        "bool",
    ),
    Setting(
        "WENYUAN_TESTPAY_KEY",
        "",
        "HMAC key that signs the test provider's notifications; empty derives one from the secret key. A _FILE variant reads it from a file.",
        "secret",
    ),
    # Money (docs/money.md).  Read only through wenyuan.core.rules.money_rules().
    Setting(
        "WENYUAN_PRICE_MIN",
        "1",
        "Lowest price of a paid document, in points (0 is always allowed: free).",
        "int",
        runtime=True,
        minimum=1,
        maximum=1000000000,
    ),
    Setting(
        "WENYUAN_PRICE_MAX",
        "100000",
        "Highest price of a document, in points.",
        "int",
        runtime=True,
        minimum=1,
        maximum=1000000000,
    ),
    Setting(
        "WENYUAN_FREE_PAGES_MAX",
        "1000",
        "Most free preview pages an uploader may set.",
        "int",
        runtime=True,
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "WENYUAN_AUTHOR_SHARE",
        "70",
        "Percent of a sale's price paid to the author (rounded down to whole points); the platform keeps the rest.",
        "int",
        runtime=True,
        minimum=0,
        maximum=100,
    ),
    Setting(
        "WENYUAN_REFERRAL_SHARE",
        "10",
        "Percent of a sale's price paid to the sharer whose link brought the buyer (rounded down), out of the platform's part. Author and referral shares together at most 100.",
        "int",
        runtime=True,
        minimum=0,
        maximum=100,
    ),
    Setting(
        "WENYUAN_REFERRAL_DAYS",
        "7",
        "Days a visit through a share link is attributed to its sharer (the last sharer wins).",
        "int",
        runtime=True,
        minimum=1,
        maximum=3650,
    ),
    Setting(
        "WENYUAN_WITHDRAW_MIN",
        "100",
        "Smallest withdrawal of earnings or commissions, in points.",
        "int",
        runtime=True,
        minimum=1,
        maximum=1000000000,
    ),
    # VIP membership (docs/money.md#vip-membership).
    Setting(
        "WENYUAN_VIP_PLANS",
        "month:30:300,year:365:2400",
        "Comma-separated VIP plans as code:days:points (month and year are shown as 月度会员 and 年度会员). Buying a plan again before expiry adds its days.",
        "plans",
        runtime=True,
    ),
    Setting(
        "WENYUAN_VIP_MONTHLY_DOWNLOADS",
        "30",
        "Different VIP-free documents a member may download (and read in full) per calendar month.",
        "int",
        runtime=True,
        minimum=0,
        maximum=100000,
    ),
    # Delivery of downloads (docs/delivery.md).
    Setting(
        "WENYUAN_DOWNLOAD_LINK_SECONDS",
        "600",
        "Seconds a signed download link stays valid; it works only for the account it was made for, and the entitlement is checked again when it is used.",
        "int",
    ),
    Setting(
        "WENYUAN_DOWNLOAD_RATE",
        "60/1h",
        "Download requests (whole files, resumed ranges and refused attempts) allowed per user and per client address (count/period); beyond it 429 and no bytes.",
    ),
    Setting(
        "WENYUAN_PAGE_IMAGE_RATE",
        "1200/10m",
        "Page-image requests (free and locked pages alike, on the site and through the API) allowed per signed-in user, or per client address when signed out (count/period); beyond it 429 and no image.",
    ),
    Setting(
        "WENYUAN_REWARD_REGISTER",
        "0",
        "Points a new account gets on registering (0: off, the default, since free points invite account farming).",
        "int",
        runtime=True,
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "WENYUAN_REWARD_REGISTER_DAILY_CAP",
        "1000",
        "Most points paid in registration rewards per day, over all new accounts.",
        "int",
        runtime=True,
        minimum=0,
        maximum=100000000,
    ),
    Setting(
        "WENYUAN_REWARD_SIGNIN",
        "1",
        "Points for the daily sign-in (签到); 0 turns it off.",
        "int",
        runtime=True,
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "WENYUAN_REWARD_SIGNIN_STREAK",
        "1",
        "Extra points for each consecutive day of signing in after the first.",
        "int",
        runtime=True,
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "WENYUAN_REWARD_SIGNIN_DAILY_CAP",
        "7",
        "Most points one user's sign-in pays in a day, streak included.",
        "int",
        runtime=True,
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "WENYUAN_REWARD_UPLOAD",
        "2",
        "Points for each of a user's uploads once it is published (once per document); 0 turns it off.",
        "int",
        runtime=True,
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "WENYUAN_REWARD_UPLOAD_DAILY_CAP",
        "20",
        "Most points one user earns from upload rewards in a day.",
        "int",
        runtime=True,
        minimum=0,
        maximum=1000000,
    ),
    Setting(
        "WENYUAN_FLAGGED_UPLOADS",
        "publish",
        "What an upload flagged by the quality checks (copy, near-copy, spun text, title mismatch, junk) does: review (it waits for staff) or publish (it is published at once, with its flag in the staff queue). Staff may choose otherwise per category.",
        runtime=True,
        choices=("review", "publish"),
    ),
    Setting(
        "WENYUAN_TAKEDOWN_BUYERS",
        "keep",
        "What a takedown (after a copyright notice or a complaint) does for the document's buyers: keep (they keep reading and downloading it) or refund (each paid purchase is refunded in full through the ledger).",
        runtime=True,
        choices=("keep", "refund"),
    ),
    Setting(
        "WENYUAN_COMPLAINT_RATE",
        "10/1d",
        "Complaints one signed-in reader may file (count/period).",
    ),
    Setting(
        "WENYUAN_NOTICE_RATE",
        "5/1h",
        "Copyright notices one client address may file (count/period); no account is needed.",
    ),
    Setting(
        "WENYUAN_UPHELD_FLAG_AT",
        "3",
        "Upheld complaints (refunded, hidden or taken down) on an uploader's documents at which staff see the uploader flagged.",
        "int",
        runtime=True,
        minimum=1,
        maximum=100000,
    ),
    Setting(
        "WENYUAN_TAKEDOWN_BLOCK_AT",
        "50",
        "Text overlap (percent of the smaller text, from the near-duplicate index) with a taken-down document at which a new upload is rejected; the same text is always rejected.",
        "int",
        runtime=True,
        minimum=1,
        maximum=100,
    ),
    # Support tickets (docs/service.md).
    Setting(
        "WENYUAN_TICKET_FIRST_ANSWER_HOURS",
        "24",
        "Hours within which staff should first answer a support ticket; past it the ticket is overdue in the staff queue.",
        "int",
    ),
    Setting(
        "WENYUAN_TICKET_RESOLUTION_HOURS",
        "72",
        "Hours within which a support ticket should be closed; past it the ticket is overdue in the staff queue.",
        "int",
    ),
    Setting(
        "WENYUAN_TICKET_ATTACHMENT_MB",
        "5",
        "Largest image attached to a ticket message, in MB (images only: PNG, JPEG, GIF, WebP).",
        "int",
    ),
    Setting(
        "WENYUAN_TICKET_ATTACHMENTS_MAX",
        "4",
        "Most images attached to one ticket message.",
        "int",
    ),
    Setting(
        "WENYUAN_TICKET_OPEN_MAX",
        "20",
        "Most tickets one user may have open (not closed) at once.",
        "int",
    ),
    # Serving and operations (docs/operations.md).
    Setting(
        "WENYUAN_WEB_PROCESSES",
        "0",
        "Web processes of `wenyuan serve` (gunicorn workers); 0 means one per CPU core, 1 serves from a single process (waitress, as on a machine without fork).",
        "int",
    ),
    Setting(
        "WENYUAN_WEB_THREADS",
        "8",
        "Threads in each web process.",
        "int",
    ),
    Setting(
        "WENYUAN_PAGE_CACHE_SECONDS",
        "300",
        "How long the pages anonymous readers get (home, category, search, document) are kept in the page cache; any change to a document, its price, status, category or the search index replaces them at once. 0 turns the cache off.",
        "int",
    ),
    Setting(
        "WENYUAN_ACCEL_REDIRECT",
        "",
        "Behind nginx: the internal location (for example /_files/) mapped to WENYUAN_HOME/files; page images and downloads are then authorised here and sent by nginx through X-Accel-Redirect. Empty sends the files from Wenyuan.",
    ),
    Setting(
        "WENYUAN_METRICS_TOKEN",
        "",
        "Bearer token that opens /metrics from anywhere (Authorization: Bearer TOKEN). A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_METRICS_ALLOW",
        "127.0.0.1,::1",
        "Comma-separated addresses or CIDR ranges allowed to read /metrics without the token; empty allows none.",
        "list",
    ),
    Setting(
        "WENYUAN_LOG_FORMAT",
        "plain",
        "Log lines as `plain` text or `json` (one object a line with the request id, which follows a document from its upload through processing to publication).",
    ),
    # E-mail: the outbox and SMTP (docs/email.md).
    Setting(
        "WENYUAN_SMTP_HOST",
        "",
        "SMTP server the outbox delivers through; empty keeps every mail queued in the outbox (visible in the admin and `wenyuan outbox list`) and sends nothing.",
    ),
    Setting(
        "WENYUAN_SMTP_PORT", "587", "SMTP server port (587 STARTTLS, 465 SSL, 25 plain).", "int"
    ),
    Setting("WENYUAN_SMTP_USER", "", "SMTP user name; empty sends without logging in."),
    Setting(
        "WENYUAN_SMTP_PASSWORD",
        "",
        "SMTP password. A _FILE variant reads it from a file.",
        "secret",
    ),
    Setting(
        "WENYUAN_SMTP_SECURITY",
        "starttls",
        "How the SMTP connection is secured: `starttls`, `ssl` (implicit TLS) or `none`.",
    ),
    Setting("WENYUAN_SMTP_TIMEOUT", "20", "Seconds an SMTP connection may take.", "int"),
    Setting(
        "WENYUAN_SITE_URL",
        "http://127.0.0.1:8000",
        "The site's address as readers reach it, for links in mails sent outside a request (notifications). Password-reset and verification links use the address of the request.",
    ),
    Setting(
        "WENYUAN_MAIL_FROM",
        "文渊 <noreply@localhost>",
        "Sender address of every mail the site sends.",
    ),
    Setting(
        "WENYUAN_MAIL_MAX_ATTEMPTS",
        "6",
        "Delivery attempts of one mail before it stays `failed` for good (staff may retry it); attempts wait 1, 2, 4, 8 … minutes apart.",
        "int",
    ),
    Setting(
        "WENYUAN_PASSWORD_RESET_RATE",
        "5/1h",
        "Password-reset and verification mails one client address may ask for (count/period); beyond it 429.",
    ),
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _lookup(name: str) -> Setting:
    for setting in SETTINGS:
        if setting.name == name:
            return setting
    raise KeyError(f"{name} is not a documented setting; add it to wenyuan.config.SETTINGS")


def env_str(name: str) -> str:
    setting = _lookup(name)
    return os.environ.get(name, setting.default).strip()


def env_bool(name: str) -> bool:
    value = env_str(name).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; use true or false")


def env_int(name: str, minimum: int = 0) -> int:
    value = env_str(name)
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number") from None
    if number < minimum:
        raise ConfigError(f"{name}={number} must be at least {minimum}")
    return number


def env_path(name: str) -> Path:
    return Path(env_str(name)).expanduser().resolve()


def env_list(name: str) -> list[str]:
    return [item.strip() for item in env_str(name).split(",") if item.strip()]


def env_int_list(name: str, minimum: int = 0) -> list[int]:
    numbers = []
    for item in env_list(name):
        try:
            number = int(item)
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not a whole number") from None
        if number < minimum:
            raise ConfigError(f"{name}: {number} must be at least {minimum}")
        numbers.append(number)
    return numbers


def env_secret(name: str) -> str:
    file_name = os.environ.get(f"{name}_FILE", "").strip()
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_name!r} cannot be read: {exc}") from None
    return env_str(name)


def env_rate(name: str) -> tuple[int, int]:
    """Parse a rate such as ``10/5m`` (units s, m, h, d) into (count, seconds)."""
    value = env_str(name)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        count_text, period = value.split("/")
        count = int(count_text)
        unit = period[-1]
        amount = int(period[:-1] or "1")
        if count < 1 or amount < 1:
            raise ValueError
        return count, amount * units[unit]
    except (ValueError, KeyError, IndexError):
        raise ConfigError(f"{name}={value!r} is not a rate like 10/5m") from None


def env_vip_plans(name: str) -> tuple[tuple[str, int, int], ...]:
    """Parse VIP plans such as ``month:30:300,year:365:2400`` into (code, days, points)."""
    return _vip_plans(name, env_list(name))


def _vip_plans(name: str, items: list[str]) -> tuple[tuple[str, int, int], ...]:
    plans = []
    for item in items:
        try:
            code, days, points = item.split(":")
            days_n, points_n = int(days), int(points)
            if not code.isidentifier() or days_n < 1 or points_n < 1:
                raise ValueError
        except ValueError:
            raise ConfigError(
                f"{name}: {item!r} is not a plan like month:30:300 (code:days:points)"
            ) from None
        plans.append((code, days_n, points_n))
    if len({code for code, _d, _p in plans}) != len(plans):
        raise ConfigError(f"{name}: a plan code appears twice")
    return tuple(plans)


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse a comma-separated list of addresses or CIDR ranges (``127.0.0.1,10.0.0.0/8``)."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def secret_key_file(path: Path) -> str:
    """The key kept in ``path``, created on first use, private (0600) from its first byte.

    The key is written into a private temporary file beside it, which is then linked into
    place: the file never exists with other permissions or half written, and when two
    processes start at once the second one reads the first one's key.
    """
    if not path.exists():
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(secrets.token_urlsafe(50))
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path.read_text().strip()


def settings_markdown() -> str:
    """docs/settings.md, generated from SETTINGS (`python -m wenyuan.config`)."""
    lines = [
        "# Settings",
        "",
        "Wenyuan reads its configuration from environment variables. Without any of them it",
        "runs on the embedded defaults: SQLite, local files and an in-process worker under",
        "`WENYUAN_HOME`. This page is generated from `wenyuan/config.py` by",
        "`python -m wenyuan.config`; a test fails when it drifts.",
        "",
        "Settings marked **staff** in the last column are *runtime settings*: staff change",
        "them while the site runs, on the page /staff/settings/ (with a reason, kept in a",
        "change log); the value here, or the environment's, is the default until then, and",
        "a staff change wins over it. All others are fixed when the site starts.",
        "",
        "| variable | default | meaning | changed by |",
        "| --- | --- | --- | --- |",
    ]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(empty)"
        who = f"staff ({setting_bounds(setting)})" if setting.runtime else "environment"
        lines.append(f"| `{setting.name}` | {default} | {setting.help} | {who} |")
    return "\n".join(lines) + "\n"


def _same(text: str) -> str:
    return text


def setting_bounds(setting: Setting, _=_same) -> str:
    """What a runtime setting accepts, in words (docs; the staff page passes gettext as
    ``_``, so the words are in the reader's language there)."""
    if setting.kind == "bool":
        return _("true or false")
    if setting.kind == "plans":
        return _("code:days:points, comma-separated")
    if setting.choices:
        return _(" or ").join(setting.choices)
    if setting.kind == "int":
        return _("whole number %(min)s–%(max)s") % {"min": setting.minimum, "max": setting.maximum}
    if setting.maximum:
        return _("text, at most %(max)s characters") % {"max": setting.maximum}
    return _("text")


def runtime_settings() -> list[Setting]:
    return [setting for setting in SETTINGS if setting.runtime]


def setting_declared(name: str) -> Setting:
    return _lookup(name)


def setting_parse(setting: Setting, text: str, _=_same):
    """A runtime setting's value from its text, checked against its declaration.

    The same reading as at start (env_int, env_bool, env_vip_plans) plus the declared
    bounds; anything else raises ConfigError with a message for the person who typed it
    (in their language when the caller passes gettext as ``_``).
    """
    value = text.strip()
    facts = {"name": setting.name, "value": value, "min": setting.minimum, "max": setting.maximum}
    if setting.kind == "bool":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE - {""}:
            return False
        raise ConfigError(_("%(name)s: “%(value)s” is not a boolean; use true or false") % facts)
    if setting.kind == "int":
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(_("%(name)s: “%(value)s” is not a whole number") % facts) from None
        if setting.minimum is not None and number < setting.minimum:
            raise ConfigError(_("%(name)s: %(value)s must be at least %(min)s") % facts)
        if setting.maximum is not None and number > setting.maximum:
            raise ConfigError(_("%(name)s: %(value)s must be at most %(max)s") % facts)
        return number
    if setting.kind == "plans":
        items = [item.strip() for item in value.split(",") if item.strip()]
        try:
            plans = _vip_plans(setting.name, items)
        except ConfigError:
            plans = None
        if not plans:
            raise ConfigError(
                _(
                    "%(name)s: plans are written like month:30:300,year:365:2400 (code:days:points, each code once)"
                )
                % facts
            )
        return plans
    if setting.choices:
        if value.lower() not in setting.choices:
            facts["choices"] = ", ".join(setting.choices)
            raise ConfigError(_("%(name)s: “%(value)s” is not one of %(choices)s") % facts)
        return value.lower()
    if setting.maximum is not None and len(value) > setting.maximum:
        raise ConfigError(_("%(name)s: at most %(max)s characters") % facts)
    return value


def env_example() -> str:
    """.env.example, generated from SETTINGS."""
    lines = ["# Wenyuan settings (generated by `python -m wenyuan.config`); all optional."]
    for setting in SETTINGS:
        staff = " Staff may change it at /staff/settings/." if setting.runtime else ""
        lines += ["", f"# {setting.help}{staff}", f"# {setting.name}={setting.default}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "settings.md").write_text(settings_markdown())
    (root / ".env.example").write_text(env_example())
    print("wrote docs/settings.md and .env.example")
