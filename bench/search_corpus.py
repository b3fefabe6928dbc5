"""Documents, queries and relevance judgements for the search benchmark, built from the
real Chinese text in ../shared/corpus/zh-text (read at run time, never copied here).

The texts (four classic novels, People's Daily of January 1998, classical prose and
poetry) are cut into *sections* (a chapter, an article, a poem) and then into documents:

* one **canonical** document per section, titled with its heading
  (“水浒传 第二十二回 横海郡柴进留宾 景阳冈武松打虎”);
* **copies and excerpts** up to the requested count: a run of consecutive paragraphs
  starting anywhere, 1 to ~40 pages long, titled with the heading where it starts plus
  the kind of suffix such sites are full of (“（节选）”, “学习资料”, “word版”…).  About 2%
  are byte-for-byte copies of another document (same SHA-256).

Everything is deterministic for a given seed.  Relevance is judged by section: for a
judged query the relevant sections are known; a canonical document of such a section
has grade 2, an excerpt that mostly comes from one has grade 1.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PAGE_CHARS = 700

SOURCES = {
    # file stem: (label used in titles, category slug, kind)
    "novel__红楼梦": ("红楼梦", "classics", "novel"),
    "novel__三国演义": ("三国演义", "classics", "novel"),
    "novel__水浒传": ("水浒传", "classics", "novel"),
    "novel__西游记": ("西游记", "classics", "novel"),
    "news__peoples_daily_199801.plain": ("人民日报", "speeches", "news"),
}
SUFFIXES = [
    "",
    "（节选）",
    "学习资料",
    "读书笔记",
    "word版",
    "全文",
    "精编版",
    "复习资料",
    "课件",
    "原文及赏析",
    "整理版",
    "（完整版）",
    "阅读材料",
]
FORMATS = ["docx"] * 40 + ["pdf"] * 30 + ["doc"] * 12 + ["txt"] * 8 + ["pptx"] * 6 + ["xlsx"] * 4
CLASSICAL = {
    "guwenguanzhi": "古文观止",
    "lunyu": "论语",
    "mengzi": "孟子",
    "quantangshi_poet.tang.0": "全唐诗",
    "shijing": "诗经",
    "songci_300": "宋词三百首",
    "tangshisanbaishou": "唐诗三百首",
    "youmengying": "幽梦影",
}
_PICTURE_NOTE = re.compile(r"（(?:附)?(?:图片|传真照片)[^）]*）$")
_NOVEL_HEADING = re.compile(r"^第[一二三四五六七八九十百零〇\d]+回")
_BRACKET_HEADING = re.compile(r"^【(.+?)】(.*)$")
_TERMINAL = tuple("。！？”…：；」』！？.!?:;）)")


@dataclass
class Section:
    source: int
    heading: str
    start: int  # first paragraph (index into the source's paragraphs)
    end: int  # one past the last
    chars: int = 0


@dataclass
class Source:
    stem: str
    label: str
    category: str
    kind: str
    paragraphs: list[str] = field(default_factory=list)
    section_of: list[int] = field(default_factory=list)  # paragraph -> section index


@dataclass
class BenchDocument:
    number: int
    title: str
    source: int
    start: int
    end: int
    section: int  # where most of its text comes from
    canonical: bool
    category: str
    format: str
    price: int
    downloads: int
    age_days: float
    duplicate_of: int | None = None
    pk: int = 0  # once written to the database
    pages: int = 0


@dataclass
class Corpus:
    sources: list[Source]
    sections: list[Section]
    documents: list[BenchDocument]

    def paragraphs(self, document: BenchDocument) -> list[str]:
        return self.sources[document.source].paragraphs[document.start : document.end]

    def pages(self, document: BenchDocument) -> list[str]:
        pages, current = [], ""
        for paragraph in self.paragraphs(document):
            while len(paragraph) > PAGE_CHARS * 2:  # very long paragraphs are split
                head, paragraph = paragraph[:PAGE_CHARS], paragraph[PAGE_CHARS:]
                current = f"{current}\n{head}" if current else head
                pages.append(current)
                current = ""
            current = f"{current}\n{paragraph}" if current else paragraph
            if len(current) >= PAGE_CHARS:
                pages.append(current)
                current = ""
        if current or not pages:
            pages.append(current)
        return pages

    def sha256(self, document: BenchDocument) -> str:
        original = (
            self.documents[document.duplicate_of] if document.duplicate_of is not None else document
        )
        text = "\n".join(self.paragraphs(original))
        return hashlib.sha256(f"{original.number}|{text}".encode()).hexdigest()


def _clean_lines(text: str) -> list[str]:
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip().strip("\u3000").strip()
        if line:
            lines.append(line)
    return lines


def _is_news_heading(line: str) -> bool:
    line = _PICTURE_NOTE.sub("", line)
    return 0 < len(line) <= 40 and not line.endswith(_TERMINAL) and not line.startswith(("（", "("))


def _load_source(path: Path, index: int, sections: list[Section]) -> Source:
    stem = path.stem
    name = stem.split("__")[-1]
    label, category, kind = SOURCES.get(stem, (CLASSICAL.get(name, name), "poetry", "classical"))
    if stem.startswith("classical__") and name in (
        "guwenguanzhi",
        "lunyu",
        "mengzi",
        "youmengying",
    ):
        category = "essays"
    source = Source(stem=stem, label=label, category=category, kind=kind)
    lines = _clean_lines(path.read_text(encoding="utf-8", errors="replace"))
    heading = label
    previous_heading = False
    for line in lines:
        new_heading = None
        if kind == "novel" and _NOVEL_HEADING.match(line):
            new_heading = " ".join(line.replace("\u3000", " ").split())
        elif kind == "classical" and _BRACKET_HEADING.match(line):
            match = _BRACKET_HEADING.match(line)
            new_heading = (match.group(1) + " " + match.group(2).strip("　 ")).strip()
        elif kind == "news" and _is_news_heading(line):
            if previous_heading:  # subtitle or author line: stays in the text
                source.paragraphs.append(line)
                source.section_of.append(len(sections) - 1)
                continue
            new_heading = _PICTURE_NOTE.sub("", line)
        previous_heading = new_heading is not None
        if new_heading is not None:
            heading = new_heading
            sections.append(
                Section(
                    source=index,
                    heading=heading,
                    start=len(source.paragraphs),
                    end=len(source.paragraphs),
                )
            )
            if kind != "novel":
                continue  # the heading becomes the title, not text
        if not sections or sections[-1].source != index:
            sections.append(
                Section(
                    source=index,
                    heading=heading,
                    start=len(source.paragraphs),
                    end=len(source.paragraphs),
                )
            )
        source.paragraphs.append(line)
        source.section_of.append(len(sections) - 1)
        sections[-1].end = len(source.paragraphs)
        sections[-1].chars += len(line)
    return source


def corpus_build(folder: Path, count: int, seed: int = 1998) -> Corpus:
    """``count`` documents from the texts in ``folder``."""
    sources: list[Source] = []
    sections: list[Section] = []
    for path in sorted(folder.glob("*.txt")):
        sources.append(_load_source(path, len(sources), sections))
    rng = random.Random(seed)
    documents: list[BenchDocument] = []

    def title_for(source: Source, section: Section) -> str:
        if source.kind in ("novel", "classical"):
            return (
                f"{source.label} {section.heading}"
                if section.heading != source.label
                else source.label
            )
        return section.heading

    def add(source_index, start, end, canonical, suffix="", duplicate_of=None):
        source = sources[source_index]
        counts = Counter(source.section_of[start:end])
        section_index = counts.most_common(1)[0][0]
        section = sections[source.section_of[start]]
        documents.append(
            BenchDocument(
                number=len(documents),
                title=(title_for(source, section) + suffix)[:200],
                source=source_index,
                start=start,
                end=end,
                section=section_index,
                canonical=canonical,
                category=source.category,
                format=rng.choice(FORMATS),
                price=0 if rng.random() < 0.7 else rng.randint(1, 20),
                downloads=int(rng.paretovariate(1.2)) - 1,
                age_days=rng.random() * 730,
                duplicate_of=duplicate_of,
            )
        )

    for section in sections:
        minimum = 60 if sources[section.source].kind == "classical" else 200
        if section.chars >= minimum and section.end > section.start and len(documents) < count:
            add(section.source, section.start, section.end, canonical=True)
    weights = [sum(len(p) for p in s.paragraphs) for s in sources]
    while len(documents) < count:
        if documents and rng.random() < 0.02:
            original = documents[rng.randrange(len(documents))]
            add(
                original.source,
                original.start,
                original.end,
                False,
                rng.choice(SUFFIXES[1:]),
                duplicate_of=original.duplicate_of or original.number,
            )
            continue
        source_index = rng.choices(range(len(sources)), weights=weights)[0]
        paragraphs = sources[source_index].paragraphs
        target = min(30_000, max(150, int(rng.lognormvariate(math.log(1800), 0.9))))
        start = rng.randrange(len(paragraphs))
        end, size = start, 0
        while end < len(paragraphs) and size < target:
            size += len(paragraphs[end])
            end += 1
        add(source_index, start, end, canonical=False, suffix=rng.choice(SUFFIXES))
    return Corpus(sources=sources, sections=sections, documents=documents)


# --- queries ---------------------------------------------------------------------------

FREQUENT = [
    "我们",
    "中国",
    "发展",
    "人民",
    "工作",
    "经济",
    "问题",
    "一个",
    "没有",
    "自己",
    "国家",
    "社会",
    "企业",
    "今年",
    "世界",
    "不是",
    "什么",
    "这个",
    "建设",
    "只见",
]
ABSENT = ["量子计算", "区块链", "人工智能", "新冠疫情", "智能手机", "短视频", "元宇宙", "碳中和"]


def queries_build(
    corpus: Corpus, keywords: dict[int, list[str]], tokens_of, count: int, seed: int = 7
) -> list[tuple[str, str]]:
    """``count`` (kind, query) pairs: realistic 1-3 word queries, with the hard tail.

    ``keywords`` maps a document number to its keywords; ``tokens_of(paragraph)`` is the
    analyzer (for phrases taken from the text).
    """
    rng = random.Random(seed)
    numbers = list(keywords)
    popularity = Counter(w for words in keywords.values() for w in words)
    popular = [w for w, _ in popularity.most_common(3000)]
    mix = [
        ("one-keyword", 0.36),
        ("two-keywords", 0.20),
        ("three-keywords", 0.08),
        ("frequent-word", 0.12),
        ("phrase", 0.08),
        ("exclusion", 0.08),
        ("no-match", 0.08),
    ]
    queries: list[tuple[str, str]] = []
    for kind, share in mix:
        for _ in range(round(count * share)):
            words = keywords[rng.choice(numbers)] or popular[:5]
            if kind == "one-keyword":
                text = rng.choice(popular[:300]) if rng.random() < 0.5 else rng.choice(words)
            elif kind == "two-keywords":
                text = " ".join(rng.sample(words, min(2, len(words))))
            elif kind == "three-keywords":
                text = " ".join(rng.sample(words, min(3, len(words))))
            elif kind == "frequent-word":
                text = rng.choice(FREQUENT)
                if rng.random() < 0.4:
                    text += " " + rng.choice(FREQUENT)
            elif kind == "phrase":
                document = corpus.documents[rng.choice(numbers)]
                paragraph = rng.choice(corpus.paragraphs(document))
                tokens = [t for t in tokens_of(paragraph) if len(t) >= 2]
                if len(tokens) >= 2:
                    i = rng.randrange(len(tokens) - 1)
                    text = '"' + "".join(tokens[i : i + 2]) + '"'
                else:
                    text = '"' + paragraph[:4] + '"'
            elif kind == "exclusion":
                first, second = rng.sample(words, 2) if len(words) >= 2 else (words[0], "小说")
                text = (
                    f"{first} -{second}"
                    if rng.random() < 0.5
                    else f"{rng.choice(FREQUENT)} -{first}"
                )
            else:
                text = (
                    rng.choice(ABSENT)
                    if rng.random() < 0.6
                    else rng.choice(popular[:50]) + " " + rng.choice(ABSENT)
                )
            queries.append((kind, text))
    rng.shuffle(queries)
    return queries[:count]


# --- judged relevance -----------------------------------------------------------------

# Hand-judged: (query, source label, heading patterns of the sections that answer it).
JUDGED = [
    ("武松 打虎", "水浒传", ["武松打虎"]),
    ("鲁提辖 拳打 镇关西", "水浒传", ["拳打镇关西"]),
    ("鲁智深 大闹 五台山", "水浒传", ["大闹五台山"]),
    ("林冲 风雪 山神庙", "水浒传", ["风雪山神庙"]),
    ("林冲 棒打 洪教头", "水浒传", ["棒打洪教头"]),
    ("孔明 借箭", "三国演义", ["孔明借箭"]),
    ("三顾 草庐", "三国演义", ["三顾草庐"]),
    ("桃园 结义", "三国演义", ["桃园豪杰三结义"]),
    ("失街亭", "三国演义", ["失街亭"]),
    ("挥泪 斩 马谡", "三国演义", ["挥泪斩马谡"]),
    ("蒋干 中计", "三国演义", ["蒋干中计"]),
    ("火焰山 芭蕉扇", "西游记", ["调芭蕉扇"]),
    ("真假 猴王", "西游记", ["假猴王", "二心搅乱大乾坤"]),
    ("孙行者 大闹 五庄观", "西游记", ["大闹五庄观"]),
    ("尸魔 三戏 唐三藏", "西游记", ["尸魔三戏唐三藏"]),
    ("刘姥姥 大观园", "红楼梦", ["刘姥姥", "村姥姥", "两宴大观园", "劫遇母蝗虫", "潇湘子雅谑"]),
    ("林黛玉 进京", "红楼梦", ["林黛玉抛父进京都"]),
    ("菊花诗", "红楼梦", ["菊花诗"]),
    ("黛玉 葬花", "红楼梦", ["埋香冢飞燕泣残红", "蒋玉菡情赠茜香罗"]),
    ("埋香冢 飞燕", "红楼梦", ["埋香冢飞燕泣残红"]),
    ("新年讲话", "人民日报", ["新年讲话"]),
    ("淮河 治污", "人民日报", ["淮河治污"]),
    ("西藏 雪灾", "人民日报", ["雪灾"]),
    ("扶贫 攻坚", "人民日报", ["扶贫"]),
    ("关关雎鸠", "诗经", ["关雎"]),
    ("学而时习之", "论语", ["学而"]),
]


@dataclass(frozen=True)
class Judged:
    query: str
    kind: str  # "hand" or "auto"
    sections: frozenset[int]


def judged_build(corpus: Corpus, tokens_of, auto: int = 40, seed: int = 11) -> list[Judged]:
    """The hand-judged queries plus ``auto`` queries of two terms distinctive of a section."""
    judged = []
    for query, label, patterns in JUDGED:
        wanted = frozenset(
            i
            for i, section in enumerate(corpus.sections)
            if corpus.sources[section.source].label == label
            and any(p in section.heading for p in patterns)
        )
        if wanted:
            judged.append(Judged(query, "hand", wanted))
    rng = random.Random(seed)
    canonical = [
        d
        for d in corpus.documents
        if d.canonical and corpus.sources[d.source].kind in ("novel", "news")
    ]
    section_tokens: dict[int, Counter] = {}
    df: Counter = Counter()
    for document in canonical:
        counts = Counter(
            t
            for p in corpus.paragraphs(document)
            for t in tokens_of(p)
            if len(t) >= 2 and not t.isdigit()
        )
        section_tokens[document.section] = counts
        df.update(counts.keys())
    candidates = [d for d in canonical if sum(len(p) for p in corpus.paragraphs(d)) >= 1500]
    rng.shuffle(candidates)
    for document in candidates:
        if len([j for j in judged if j.kind == "auto"]) >= auto:
            break
        counts = section_tokens[document.section]
        heading = corpus.sections[document.section].heading
        distinctive = [t for t, n in counts.items() if n >= 2 and df[t] <= 2 and t not in heading]
        if len(distinctive) < 2:
            continue
        distinctive.sort(key=lambda t: (-counts[t], t))
        pair = distinctive[:2]
        sections = frozenset(s for s, c in section_tokens.items() if all(t in c for t in pair))
        judged.append(Judged(" ".join(pair), "auto", sections))
    return judged


def relevance_grade(corpus: Corpus, document: BenchDocument, sections: frozenset[int]) -> int:
    if document.section not in sections:
        return 0
    return 2 if document.canonical else 1
