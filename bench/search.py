#!/usr/bin/env python
"""Search benchmark: SQLite FTS5 and PostgreSQL full-text against a plain LIKE scan.

    .venv/bin/python bench/search.py --docs 100000

For each backend (SQLite in a temporary WENYUAN_HOME; PostgreSQL in a database of its
own, created and dropped here) it builds a library of ``--docs`` documents from the
real Chinese text in ../shared/corpus/zh-text (see search_corpus.py), indexes it with
Wenyuan's own code, and measures:

* indexing: the analyzer's rate, the bulk build, the index size, and the real
  one-document-at-a-time path (read pages, segment, write) that publishing uses;
* latency of several hundred realistic 1-3 word queries through ``search_run`` — the
  same function the search page and the API call — so each includes counting, ranking,
  loading the 20 documents of the first page and building their highlighted snippets;
* the same through the naive backend (``LIKE '%term%'`` over titles, keywords and page
  text) on a subset of those queries, in the same run, on the same data;
* relevance: MRR@10 and nDCG@10 over judged queries.

Results go to bench/RESULTS.md (the "Search" section) and bench/search-results.json.
Without the corpus the benchmark explains what is missing and exits cleanly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "zh-text"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/wenyuan_bench"
RESULTS_MD = HERE / "RESULTS.md"
RESULTS_JSON = HERE / "search-results.json"
TARGET_P99_MS = {"sqlite": 25.0, "postgres": 100.0}
TARGET_SPEEDUP = 50.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
        "mean": statistics.fmean(values) if values else float("nan"),
    }


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the child: one backend ---------------------------------------------------------------


def child(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "wenyuan.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)

    from django.contrib.auth.models import AnonymousUser
    from django.db import connection, transaction
    from django.utils import timezone
    from search_corpus import corpus_build, judged_build, queries_build, relevance_grade

    from wenyuan.accounts.services import user_create
    from wenyuan.library.models import (
        Category,
        Document,
        DocumentKeyword,
        DocumentPage,
        Keyword,
        Status,
    )
    from wenyuan.search.analyzer import analyze
    from wenyuan.search.backends import get_search_backend
    from wenyuan.search.backends.base import IndexEntry, document_stamp
    from wenyuan.search.backends.database import DatabaseBackend
    from wenyuan.search.selectors import related_ids_compute, search_run
    from wenyuan.search.services import keyword_stats_refresh, search_index_sync

    result: dict = {"backend": args.child, "docs": args.docs, "vendor": connection.vendor}
    backend = get_search_backend()
    result["backend_name"] = backend.name
    log(f"{args.child}: building {args.docs} documents from {args.corpus}")
    corpus = corpus_build(Path(args.corpus), args.docs)

    # 1. The analyzer over every distinct paragraph and title (documents share text).
    memo: dict[str, list[str]] = {}

    def tokens_of(text: str) -> list[str]:
        found = memo.get(text)
        if found is None:
            found = memo[text] = analyze(text)
        return found

    started = time.perf_counter()
    chars = 0
    for source in corpus.sources:
        for paragraph in source.paragraphs:
            if paragraph not in memo:
                chars += len(paragraph)
                tokens_of(paragraph)
    seconds = time.perf_counter() - started
    result["analyzer"] = {"chars": chars, "seconds": seconds, "chars_per_s": chars / seconds}
    log(f"analyzer: {chars / 1e6:.1f}M chars in {seconds:.1f}s")

    # 2. Keywords by TF-IDF over the same tokens (jieba's IDF table), as the pipeline does.
    import jieba.analyse

    idf = jieba.analyse.default_tfidf.idf_freq
    median_idf = jieba.analyse.default_tfidf.median_idf
    paragraph_counts: dict[str, Counter] = {}

    def keywords_for(document) -> list[str]:
        total: Counter = Counter()
        for paragraph in corpus.paragraphs(document):
            counts = paragraph_counts.get(paragraph)
            if counts is None:
                counts = paragraph_counts[paragraph] = Counter(
                    t for t in tokens_of(paragraph) if len(t) >= 2 and not t.isdigit()
                )
            total.update(counts)
        for token in tokens_of(document.title):
            if len(token) >= 2:
                total[token] += 3
        scored = sorted(total.items(), key=lambda kv: -kv[1] * idf.get(kv[0], median_idf))
        return [word for word, _ in scored[:8]]

    # 3. The library itself, written straight into the tables (no conversion).
    started = time.perf_counter()
    owner = user_create(username="bench", password="bench-password-123", validate=False)
    categories = dict(Category.objects.values_list("slug", "pk"))
    now = timezone.now()
    keywords: dict[int, list[str]] = {}
    documents_chars = text_bytes = 0
    published: dict[int, object] = {}
    batch = 2000
    for start in range(0, len(corpus.documents), batch):
        chunk = corpus.documents[start : start + batch]
        rows, pages_of = [], []
        for d in chunk:
            pages = corpus.pages(d)
            pages_of.append(pages)
            size = sum(len(p.encode()) for p in pages)
            text_bytes += size
            documents_chars += sum(len(p) for p in pages)
            # Published in upload order over two years, as a real library grows.
            age = (len(corpus.documents) - d.number) / len(corpus.documents) * 730
            published[d.number] = now - timedelta(days=age + d.age_days % 1)
            rows.append(
                Document(
                    owner=owner,
                    title=d.title,
                    filename=f"{d.number}.{d.format}",
                    format=d.format,
                    mime_type="application/octet-stream",
                    size_bytes=max(1, size),
                    sha256=corpus.sha256(d),
                    original=f"originals/bench/{d.number}",
                    pages=len(pages),
                    category_id=categories.get(d.category),
                    price=d.price,
                    free_pages=3,
                    status=Status.PUBLISHED,
                    published_at=published[d.number],
                    downloads=max(0, d.downloads),
                )
            )
            keywords[d.number] = keywords_for(d)
        with transaction.atomic():
            created = Document.objects.bulk_create(rows)
            for d, document, pages in zip(chunk, created, pages_of, strict=True):
                d.pk, d.pages = document.pk, len(pages)
            DocumentPage.objects.bulk_create(
                DocumentPage(document_id=d.pk, number=i, text=text)
                for d, pages in zip(chunk, pages_of, strict=True)
                for i, text in enumerate(pages, start=1)
            )
            words = {w for d in chunk for w in keywords[d.number]}
            Keyword.objects.bulk_create([Keyword(word=w) for w in words], ignore_conflicts=True)
            ids = dict(Keyword.objects.filter(word__in=words).values_list("word", "pk"))
            DocumentKeyword.objects.bulk_create(
                DocumentKeyword(document_id=d.pk, keyword_id=ids[w], weight=1.0 / r, rank=r)
                for d in chunk
                for r, w in enumerate(keywords[d.number], start=1)
            )
        if (start // batch) % 10 == 0:
            log(f"library: {start + len(chunk)}/{len(corpus.documents)} documents")
    result["library"] = {
        "seconds": time.perf_counter() - started,
        "chars": documents_chars,
        "pages": DocumentPage.objects.count(),
    }
    log(f"library written: {documents_chars / 1e6:.0f}M chars")
    by_pk = {d.pk: d for d in corpus.documents}

    # 4. Bulk index build from the analysed text.
    size_before = database_size(connection)
    started = time.perf_counter()
    write_seconds = 0.0
    with backend.bulk_load(empty=True):
        for start in range(0, len(corpus.documents), 1000):
            chunk = corpus.documents[start : start + 1000]
            entries = []
            for d in chunk:
                body: list[str] = []
                for paragraph in corpus.paragraphs(d):
                    body.extend(tokens_of(paragraph))
                entries.append(
                    IndexEntry(
                        document_id=d.pk,
                        title=tokens_of(d.title),
                        meta=analyze(" ".join(keywords[d.number])),
                        body=body,
                        published_at=published[d.number],
                        stamp=document_stamp(
                            title=d.title,
                            description="",
                            published_at=published[d.number],
                            pages=d.pages,
                        ),
                        body_pages=d.pages,
                    )
                )
            t0 = time.perf_counter()
            with transaction.atomic():
                backend.write(entries)
            write_seconds += time.perf_counter() - t0
            if (start // 1000) % 20 == 0:
                log(f"index: {start + len(chunk)}/{len(corpus.documents)}")
        t0 = time.perf_counter()
    finish_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    backend.optimize()
    optimize_seconds = time.perf_counter() - t0
    backend.mark_current()
    total_seconds = time.perf_counter() - started
    # What autovacuum (PostgreSQL) or a periodic ANALYZE would have done on a live site.
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    maintenance_seconds = time.perf_counter() - t0
    # What the periodic sweep does: keyword counts for suggestions and popular keywords.
    t0 = time.perf_counter()
    keyword_stats_refresh()
    keyword_stats_seconds = time.perf_counter() - t0
    result["index"] = {
        "docs": len(corpus.documents),
        "write_seconds": write_seconds,
        "finish_seconds": finish_seconds,
        "optimize_seconds": optimize_seconds,
        "maintenance_seconds": maintenance_seconds,
        "keyword_stats_seconds": keyword_stats_seconds,
        "total_seconds": total_seconds,
        "docs_per_s": len(corpus.documents) / total_seconds,
        "mb_text_per_s": documents_chars * 3 / 1e6 / total_seconds,
        "index_bytes": index_size(connection),
        "database_growth_bytes": database_size(connection) - size_before,
        "text_bytes": text_bytes,
    }
    log(f"index built in {total_seconds:.0f}s, {result['index']['index_bytes'] / 1e6:.0f} MB")

    # 5. The real path: one document at a time, reading its pages, segmenting, writing.
    rng = random.Random(5)
    sample = rng.sample(
        [d.pk for d in corpus.documents], min(args.reindex_sample, len(corpus.documents))
    )
    sample_chars = sum(sum(len(p) for p in corpus.pages(by_pk[pk])) for pk in sample)
    started = time.perf_counter()
    for start in range(0, len(sample), 50):
        backend.index(sample[start : start + 50], force=True)
    seconds = time.perf_counter() - started
    single = []
    for pk in sample[:100]:
        t0 = time.perf_counter()
        with transaction.atomic():
            search_index_sync(document_ids=[pk], force=True)
        single.append((time.perf_counter() - t0) * 1000)
    result["incremental"] = {
        "docs": len(sample),
        "seconds": seconds,
        "docs_per_s": len(sample) / seconds,
        "chars_per_s": sample_chars / seconds,
        "publish_to_searchable_ms": summary(single),
    }
    log(
        f"incremental: {len(sample) / seconds:.0f} docs/s; one document p50 {percentile(single, 50):.0f} ms"
    )

    # 6. Query latency through search_run (count, rank, load, snippets).
    queries = queries_build(corpus, keywords, tokens_of, args.queries)
    # Kept beside the result (with --keep, for re-measuring a kept library by hand).
    (Path(args.out).parent / "queries.json").write_text(json.dumps(queries, ensure_ascii=False))
    user = AnonymousUser()
    for _kind, text in queries[:40]:  # warm-up
        search_run(user=user, text=text)
    latencies: dict[str, list[float]] = defaultdict(list)
    totals: dict[str, list[int]] = defaultdict(list)
    per_query = {}
    for kind, text in queries:
        t0 = time.perf_counter()
        page = search_run(user=user, text=text)
        ms = (time.perf_counter() - t0) * 1000
        latencies[kind].append(ms)
        latencies["all"].append(ms)
        totals[kind].append(page.total)
        per_query[text] = ms
    result["queries"] = {
        kind: {
            **summary(values),
            "mean_total": statistics.fmean(totals[kind]) if kind in totals else None,
        }
        for kind, values in latencies.items()
    }
    slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:8]
    result["slowest"] = slowest
    log(
        f"queries: p50 {percentile(latencies['all'], 50):.1f} ms, p99 {percentile(latencies['all'], 99):.1f} ms"
    )

    # Other orders and filters, and page 5.
    variants: dict[str, list[float]] = defaultdict(list)
    official = Category.objects.get(slug="official")
    for _kind, text in queries[: args.variant_queries]:
        for name, kwargs in (
            ("sort=newest", {"sort": "newest"}),
            ("sort=downloads", {"sort": "downloads"}),
            ("category+free", {"category": official, "price": "free"}),
            ("page 5", {"page": 5}),
        ):
            t0 = time.perf_counter()
            search_run(user=user, text=text, **kwargs)
            variants[name].append((time.perf_counter() - t0) * 1000)
    result["variants"] = {name: summary(values) for name, values in variants.items()}

    # 7. Related documents (uncached).
    related = []
    for pk in sample[: args.related_sample]:
        document = Document.objects.get(pk=pk)
        t0 = time.perf_counter()
        related_ids_compute(document=document)
        related.append((time.perf_counter() - t0) * 1000)
    result["related"] = summary(related)
    log(f"related: p50 {percentile(related, 50):.1f} ms")

    # 8. The LIKE scan on a subset of the same queries, and full-text on the same subset.
    like = DatabaseBackend()
    subset = stratified(queries, args.like_queries)
    like_ms, fts_ms, ratios = [], [], []
    for _kind, text in subset:
        t0 = time.perf_counter()
        search_run(user=user, text=text, backend=like)
        slow = (time.perf_counter() - t0) * 1000
        fast = per_query[text]
        like_ms.append(slow)
        fts_ms.append(fast)
        ratios.append(slow / fast)
    result["like"] = {
        "queries": len(subset),
        "like": summary(like_ms),
        "fts_same_queries": summary(fts_ms),
        "speedup_p50": percentile(like_ms, 50) / percentile(fts_ms, 50),
        "speedup_p99": percentile(like_ms, 99) / percentile(fts_ms, 99),
        "speedup_per_query_median": percentile(ratios, 50),
        "speedup_per_query_min": min(ratios),
    }
    log(f"LIKE: p50 {percentile(like_ms, 50):.0f} ms over {len(subset)} queries")

    # 9. Relevance on judged queries.
    judged = judged_build(corpus, tokens_of)
    scores: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for item in judged:
        page = search_run(user=user, text=item.query, per_page=10)
        grades = [relevance_grade(corpus, by_pk[h.document.pk], item.sections) for h in page.hits]
        first = next((i for i, g in enumerate(grades) if g), None)
        rr = 1.0 / (first + 1) if first is not None else 0.0
        ideal = ideal_grades(corpus, item.sections)
        ndcg = dcg(grades) / dcg(ideal) if ideal else 0.0
        scores[item.kind].append((rr, ndcg, 1 if grades and grades[0] else 0))
        scores["all"].append((rr, ndcg, 1 if grades and grades[0] else 0))
    result["relevance"] = {
        kind: {
            "queries": len(values),
            "mrr@10": statistics.fmean(v[0] for v in values),
            "ndcg@10": statistics.fmean(v[1] for v in values),
            "p@1": statistics.fmean(v[2] for v in values),
        }
        for kind, values in scores.items()
    }
    log(f"relevance: MRR@10 {result['relevance']['all']['mrr@10']:.3f}")
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


def ideal_grades(corpus, sections) -> list[int]:
    from search_corpus import relevance_grade

    grades = sorted((relevance_grade(corpus, d, sections) for d in corpus.documents), reverse=True)
    return [g for g in grades[:10] if g]


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:10]))


def stratified(queries: list[tuple[str, str]], count: int) -> list[tuple[str, str]]:
    by_kind: dict[str, list] = defaultdict(list)
    for item in queries:
        by_kind[item[0]].append(item)
    chosen: list = []
    while len(chosen) < count and any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind] and len(chosen) < count:
                chosen.append(by_kind[kind].pop(0))
    return chosen


def index_size(connection) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            try:
                cursor.execute(
                    "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_fts%%' OR name = 'search_entry'"
                )
                return int(cursor.fetchone()[0] or 0)
            except Exception:
                return -1
        cursor.execute("SELECT pg_total_relation_size('search_entry')")
        return int(cursor.fetchone()[0])


def database_size(connection) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            return pages * cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


# --- the parent: run each backend, then report ---------------------------------------------


def run_backend(name: str, args) -> dict | None:
    out = Path(tempfile.mkdtemp(prefix=f"wenyuan-bench-{name}-"))
    env = {**os.environ, "WENYUAN_HOME": str(out / "home"), "WENYUAN_LANGUAGE": "zh-hans"}
    env.pop("DATABASE_URL", None)
    database = None
    if name == "postgres":
        import psycopg

        database = args.pg_url.rsplit("/", 1)[1]
        admin_url = args.pg_url.rsplit("/", 1)[0] + "/postgres"
        try:
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
                conn.execute(f'CREATE DATABASE "{database}"')
        except psycopg.Error as exc:
            log(f"PostgreSQL does not answer at {admin_url} ({exc}); its run is skipped")
            return None
        env["DATABASE_URL"] = args.pg_url
    command = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--out",
        str(out / "result.json"),
        "--docs",
        str(args.docs),
        "--corpus",
        str(args.corpus),
        "--queries",
        str(args.queries),
        "--like-queries",
        str(args.like_queries),
        "--reindex-sample",
        str(args.reindex_sample),
        "--related-sample",
        str(args.related_sample),
        "--variant-queries",
        str(args.variant_queries),
    ]
    if args.keep:
        log(f"{name}: kept in {out}")
    try:
        subprocess.run(command, env=env, check=True, cwd=ROOT)
        return json.loads((out / "result.json").read_text())
    finally:
        if database and not args.keep:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if not args.keep:
            import shutil

            shutil.rmtree(out, ignore_errors=True)


def report(results: dict[str, dict], args) -> str:
    def ms(value: float) -> str:
        return f"{value:.1f}" if value < 100 else f"{value:.0f}"

    lines = [
        "## Search",
        "",
        f"`.venv/bin/python bench/search.py --docs {args.docs}` — {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{sqlite_version()}, {postgres_version(args)}.",
        "",
        "Library: documents cut from `../shared/corpus/zh-text` (the four classic novels, "
        "People's Daily of January 1998, classical prose and poetry): one per chapter, "
        "article or poem, then excerpts of 1–40 pages of ~700 characters starting anywhere, "
        "titled the way such sites are (“…（节选）”, “…学习资料”), 2% exact copies. "
        "Latency is measured through `search_run`, the function behind the search page and "
        "`GET /api/search`: parse, count, rank, load the 20 documents of the first page and "
        "build their highlighted snippets (one query per search, warm cache, one client). "
        "The machine is shared: other work was running, so numbers are noisy.",
        "",
    ]
    header = "| | " + " | ".join(results) + " |"
    lines += [header, "|---" * (len(results) + 1) + "|"]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results.values()) + " |")

    first = next(iter(results.values()))
    row(
        "documents / pages / text",
        lambda r: (
            f"{r['docs']:,} / {r['library']['pages']:,} / {r['index']['text_bytes'] / 1e6:,.0f} MB"
        ),
    )
    row(
        "analyzer (jieba search mode + normalisation), 1 core",
        lambda r: f"{r['analyzer']['chars_per_s'] / 1e3:,.0f}k chars/s",
    )
    row(
        "bulk index build (analysed text → index, incl. merge/GIN)",
        lambda r: f"{r['index']['total_seconds']:.0f} s = {r['index']['docs_per_s']:,.0f} docs/s",
    )
    row("index size", lambda r: f"{r['index']['index_bytes'] / 1e6:,.0f} MB")
    row(
        "indexing one document at a time (read, segment, write)",
        lambda r: (
            f"{r['incremental']['docs_per_s']:,.0f} docs/s ({r['incremental']['chars_per_s'] / 1e3:,.0f}k chars/s)"
        ),
    )
    row(
        "publish → searchable, one document, p50 / p99",
        lambda r: (
            f"{ms(r['incremental']['publish_to_searchable_ms']['p50'])} / {ms(r['incremental']['publish_to_searchable_ms']['p99'])} ms"
        ),
    )
    row(
        f"**{first['queries']['all']['n']} queries, p50 / p99** (target p99)",
        lambda r: (
            f"**{ms(r['queries']['all']['p50'])} / {ms(r['queries']['all']['p99'])} ms** (< {TARGET_P99_MS[r['backend']]:.0f})"
        ),
    )
    for kind in (
        "one-keyword",
        "two-keywords",
        "three-keywords",
        "frequent-word",
        "phrase",
        "exclusion",
        "no-match",
    ):
        if kind in first["queries"]:
            row(
                f"  {kind} ({first['queries'][kind]['n']}), p50 / p99, mean hits",
                lambda r, k=kind: (
                    f"{ms(r['queries'][k]['p50'])} / {ms(r['queries'][k]['p99'])} ms, {r['queries'][k]['mean_total']:,.0f}"
                ),
            )
    for name in first.get("variants", {}):
        row(
            f"  {name} ({first['variants'][name]['n']}), p50 / p99",
            lambda r, n=name: f"{ms(r['variants'][n]['p50'])} / {ms(r['variants'][n]['p99'])} ms",
        )
    row(
        "related documents (uncached), p50 / p99",
        lambda r: f"{ms(r['related']['p50'])} / {ms(r['related']['p99'])} ms",
    )
    row(
        f"**LIKE scan, same {first['like']['queries']} queries, p50 / p99**",
        lambda r: f"{ms(r['like']['like']['p50'])} / {ms(r['like']['like']['p99'])} ms",
    )
    row(
        "  full-text on those queries, p50 / p99",
        lambda r: (
            f"{ms(r['like']['fts_same_queries']['p50'])} / {ms(r['like']['fts_same_queries']['p99'])} ms"
        ),
    )
    row(
        f"**speed-up over LIKE** at p50 / p99 (target ≥ {TARGET_SPEEDUP:.0f}x)",
        lambda r: f"**{r['like']['speedup_p50']:,.0f}x / {r['like']['speedup_p99']:,.0f}x**",
    )
    row(
        "  per query: median / smallest",
        lambda r: (
            f"{r['like']['speedup_per_query_median']:,.0f}x / {r['like']['speedup_per_query_min']:,.0f}x"
        ),
    )
    for kind in ("hand", "auto", "all"):
        if kind in first["relevance"]:
            row(
                f"relevance, {kind} ({first['relevance'][kind]['queries']} queries): MRR@10 / nDCG@10 / P@1",
                lambda r, k=kind: (
                    f"{r['relevance'][k]['mrr@10']:.3f} / {r['relevance'][k]['ndcg@10']:.3f} / {r['relevance'][k]['p@1']:.2f}"
                ),
            )
    lines.append("")
    verdicts = []
    for name, r in results.items():
        p99 = r["queries"]["all"]["p99"]
        verdicts.append(
            f"{name}: p99 {ms(p99)} ms {'meets' if p99 < TARGET_P99_MS[name] else 'MISSES'} the "
            f"{TARGET_P99_MS[name]:.0f} ms target; {r['like']['speedup_p50']:,.0f}x faster than LIKE at p50 "
            f"({'meets' if r['like']['speedup_p50'] >= TARGET_SPEEDUP else 'MISSES'} ≥ {TARGET_SPEEDUP:.0f}x)."
        )
    lines += ["Verdict — " + " ".join(verdicts), ""]
    lines += ["Slowest queries:", ""]
    for name, r in results.items():
        lines.append(f"- {name}: " + ", ".join(f"`{q}` {ms(t)} ms" for q, t in r["slowest"][:6]))
    lines.append("")
    return "\n".join(lines)


def sqlite_version() -> str:
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def postgres_version(args) -> str:
    try:
        import psycopg

        with psycopg.connect(
            args.pg_url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3
        ) as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception:
        return "PostgreSQL absent"


def write_section(markdown: str) -> None:
    """Replace the Search section of bench/RESULTS.md, leaving the others alone."""
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmark results\n\n"
    start = text.find("## Search\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + markdown
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + markdown + ("\n" + text[end + 1 :] if end != -1 else "")
    RESULTS_MD.write_text(text.rstrip("\n") + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--corpus", default=os.environ.get("WENYUAN_ZH_TEXT", str(DEFAULT_CORPUS)))
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="database created and dropped here")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--like-queries", type=int, default=30)
    parser.add_argument("--reindex-sample", type=int, default=1000)
    parser.add_argument("--related-sample", type=int, default=200)
    parser.add_argument("--variant-queries", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    corpus = Path(args.corpus)
    if not corpus.is_dir() or not any(corpus.glob("*.txt")):
        print(
            f"The search benchmark needs the Chinese text corpus at {corpus} "
            "(../shared/corpus/zh-text next to this repository, or set WENYUAN_ZH_TEXT). "
            "It is not there, so nothing was measured."
        )
        return 0
    results = {}
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        log(f"=== {name} ===")
        found = run_backend(name, args)
        if found:
            results[name] = found
    if not results:
        return 1
    markdown = report(results, args)
    print(markdown)
    if not args.no_write:
        write_section(markdown)
        RESULTS_JSON.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
