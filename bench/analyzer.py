"""The search analyzer's segmenter: rjieba (jieba-rs) against jieba, in the same run.

    .venv/bin/python bench/analyzer.py            # --no-write to only print

Each library is measured in a fresh child process over the real Chinese text of
``../shared/corpus/zh-text`` (line by line, as documents are indexed paragraph by
paragraph): the time and memory its dictionary takes to load, the rate of search-mode
segmentation (``cut_for_search`` without the HMM, what the analyzer calls), the rate of the
whole analyzer with that segmenter, and a digest of every token.  The run fails when the
tokens differ, or when rjieba is not at least 5 times faster.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CORPUS = Path(os.environ.get("WENYUAN_CORPUS", ROOT.parent / "shared" / "corpus")) / "zh-text"
TARGET = 5.0


def _lines() -> list[str]:
    lines = []
    for path in sorted(CORPUS.glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(library: str) -> dict:
    """Runs in the child: one library, from its import on."""
    lines = _lines()
    base = _rss_mb()
    started = time.perf_counter()
    if library == "jieba":
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()

        def cut(text: str, hmm: bool) -> list[str]:
            return list(jieba.cut_for_search(text, HMM=hmm))
    else:
        import rjieba

        cut = rjieba.cut_for_search
    load = time.perf_counter() - started
    memory = _rss_mb() - base
    digest = hashlib.sha256()
    tokens = 0
    started = time.perf_counter()
    for line in lines:
        pieces = cut(line, False)
        tokens += len(pieces)
        digest.update("\x1f".join(pieces).encode() + b"\x1e")
    segment = time.perf_counter() - started

    from wenyuan.search import analyzer

    analyzer._cut = cut
    started = time.perf_counter()
    for line in lines:
        analyzer.analyze(line)
    analyze = time.perf_counter() - started
    return {
        "library": library,
        "chars": sum(map(len, lines)),
        "lines": len(lines),
        "load_s": load,
        "memory_mb": memory,
        "segment_s": segment,
        "analyze_s": analyze,
        "tokens": tokens,
        "digest": digest.hexdigest(),
    }


def _child(library: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", library],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(jieba: dict, rjieba: dict) -> tuple[str, bool]:
    def rate(result: dict, key: str) -> str:
        return f"{result['chars'] / result[key] / 1e6:.2f} M"

    same = (jieba["digest"], jieba["tokens"]) == (rjieba["digest"], rjieba["tokens"])
    speedup = jieba["segment_s"] / rjieba["segment_s"]
    analyzer_speedup = jieba["analyze_s"] / rjieba["analyze_s"]
    load = os.getloadavg()[0]
    lines = [
        f"`.venv/bin/python bench/analyzer.py`: the {jieba['chars'] / 1e6:.2f} M characters "
        f"({jieba['lines']:,} non-empty lines) of `../shared/corpus/zh-text`, segmented line by "
        "line in search mode without the HMM, each library in a fresh process. "
        f"Load average at the end: {load:.2f} on {os.cpu_count()} cores.",
        "",
        "| segmenter | dictionary load | its memory | segmentation chars/s | analyzer chars/s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for result, name in ((jieba, "jieba 0.42 (before)"), (rjieba, "rjieba (jieba-rs, now)")):
        lines.append(
            f"| {name} | {result['load_s']:.2f} s | {result['memory_mb']:.0f} MB | "
            f"{rate(result, 'segment_s')} | {rate(result, 'analyze_s')} |"
        )
    lines += [
        "",
        f"- Segmentation **{speedup:.1f}x** faster (target ≥ {TARGET:.0f}x: "
        f"{'met' if speedup >= TARGET else 'missed'}); the whole analyzer (NFKC, lower case, "
        f"character pairs) {analyzer_speedup:.1f}x faster.",
        f"- Tokens: {'identical' if same else 'DIFFERENT'} ({rjieba['tokens']:,} segments, "
        f"sha256 {rjieba['digest'][:16]}…).",
    ]
    return "\n".join(lines), same and speedup >= TARGET


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", choices=["jieba", "rjieba"], help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    if not CORPUS.is_dir():
        print(f"the shared corpus is not at {CORPUS}", file=sys.stderr)
        return 2
    jieba, rjieba = _child("jieba"), _child("rjieba")
    body, ok = report(jieba, rjieba)
    print(body)
    if not args.no_write:
        from results import write_section

        write_section("Analyzer: rjieba against jieba", body)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
