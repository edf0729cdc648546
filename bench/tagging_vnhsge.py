# A benchmark reports by printing its table.
"""Subject accuracy of auto-tagging on VNHSGE exam items (issue 3: target ≥ 90%).

Each item's question text (with its answer options, as a document would contain them; no
subject label, no file name) goes through ``ingest.tagging.suggest_tags``; the most confident
``subjects`` suggestion is compared with the item's subject.

Honest evaluation: the lexicons in ``ingest/tagging_lexicon.py`` are hand-written, and while
writing them only the **dev** split was inspected. Splits are by whole exam paper (one source
file), so near-identical questions of one paper never straddle them:

* dev:      papers of 2019 and 2020, and the dataset's ``train`` papers
* held-out: papers of 2021, 2022 and 2023, and the dataset's ``test`` papers (reported)

Literature items carry no question text in the flattened file and are counted as skipped.

Usage::

    python bench/tagging_vnhsge.py                 # held-out split (the number to report)
    python bench/tagging_vnhsge.py --split dev     # the split the lexicons were checked on
    python bench/tagging_vnhsge.py --errors 20     # also print some misses (dev only)

The data lives beside the checkout (``../shared/data``); set ``HOCLIEU_SHARED_DATA`` to move it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.tagging import best, suggest_tags

# VNHSGE subject names → codes of the subject vocabulary. The civic-education papers are
# "GDCD 12" of the 2006 programme, so giao-duc-cong-dan (not the 2018 GDKT&PL).
EXPECTED = {
    "math": "toan",
    "physics": "vat-li",
    "chemistry": "hoa-hoc",
    "biology": "sinh-hoc",
    "english": "tieng-anh",
    "history": "lich-su",
    "geography": "dia-li",
    "civic_education": "giao-duc-cong-dan",
    "literature": "ngu-van",
}
# Accepted as well: the same content under its 2018 grade-12 name.
ALSO_ACCEPTED = {"giao-duc-cong-dan": {"giao-duc-kinh-te-va-phap-luat"}}

DEV_YEARS = ("2019", "2020")


def data_root() -> Path:
    """``HOCLIEU_SHARED_DATA`` or ``../shared/data`` beside the checkout."""
    env = os.environ.get("HOCLIEU_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def dataset_path(root: Path | None = None) -> Path:
    return (root or data_root()) / "01_vietnamese_edu" / "vnhsge" / "vnhsge_flat.jsonl"


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    subject: str  # expected code
    text: str
    paper: str
    split: str  # "dev" or "heldout"


def split_of(record: dict[str, object]) -> str:
    """Which of our splits a record's *paper* belongs to (see the module docstring)."""
    if record.get("split") == "train":
        return "dev"
    if record.get("split") == "test":
        return "heldout"
    year = re.search(r"_(20\d\d)(?:_|\.json)", str(record.get("source_file", "")))
    return "dev" if year and year.group(1) in DEV_YEARS else "heldout"


def load_items(path: Path) -> tuple[list[Item], int]:
    """All items with text, and how many had none (skipped)."""
    items: list[Item] = []
    skipped = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            question = record.get("question")
            subject = EXPECTED.get(str(record.get("subject_en")))
            if not isinstance(question, str) or not question.strip() or subject is None:
                skipped += 1
                continue
            items.append(
                Item(
                    id=str(record.get("id")),
                    subject=subject,
                    text=question,  # kept as stored: some items are NFD on purpose
                    paper=str(record.get("source_file", "")),
                    split=split_of(record),
                )
            )
    return items, skipped


def predict(item: Item) -> str | None:
    """The most confident subject code ``suggest_tags`` gives for the item's text."""
    top = best(suggest_tags(filename="", text=item.text), "subjects")
    return str(top.value) if top is not None else None


def is_correct(item: Item, predicted: str | None) -> bool:
    return predicted == item.subject or predicted in ALSO_ACCEPTED.get(item.subject, set())


@dataclass
class Result:
    total: Counter[str]
    correct: Counter[str]
    confusions: Counter[tuple[str, str]]
    misses: list[tuple[Item, str | None]]
    seconds: float

    @property
    def accuracy(self) -> float:
        n = sum(self.total.values())
        return sum(self.correct.values()) / n if n else 0.0


def evaluate(items: list[Item]) -> Result:
    """Run the tagger on ``items`` and count hits per subject."""
    total: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    misses: list[tuple[Item, str | None]] = []
    start = time.perf_counter()
    for item in items:
        predicted = predict(item)
        total[item.subject] += 1
        if is_correct(item, predicted):
            correct[item.subject] += 1
        else:
            confusions[(item.subject, predicted or "-")] += 1
            misses.append((item, predicted))
    return Result(total, correct, confusions, misses, time.perf_counter() - start)


def iter_table(result: Result, title: str) -> Iterator[str]:
    yield title
    yield f"{'subject':<22}{'items':>7}{'correct':>9}{'accuracy':>10}"
    for subject in sorted(result.total):
        n, ok = result.total[subject], result.correct[subject]
        yield f"{subject:<22}{n:>7}{ok:>9}{ok / n:>10.1%}"
    n, ok = sum(result.total.values()), sum(result.correct.values())
    yield f"{'ALL':<22}{n:>7}{ok:>9}{result.accuracy:>10.1%}"
    yield f"({result.seconds:.1f} s, {1000 * result.seconds / max(1, n):.2f} ms/item)"
    if result.confusions:
        yield "most frequent confusions (expected -> predicted):"
        for (expected, got), count in result.confusions.most_common(8):
            yield f"  {expected} -> {got}: {count}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("heldout", "dev", "all"), default="heldout")
    parser.add_argument("--errors", type=int, default=0, help="print N misclassified items (dev split only)")
    args = parser.parse_args(argv)
    path = dataset_path()
    if not path.is_file():
        print(f"VNHSGE data not found at {path} (set HOCLIEU_SHARED_DATA)", file=sys.stderr)
        return 2
    items, skipped = load_items(path)
    chosen = [i for i in items if args.split == "all" or i.split == args.split]
    result = evaluate(chosen)
    print(f"VNHSGE subject tagging — split {args.split}; {skipped} items without text skipped (literature)")
    for line in iter_table(result, ""):
        print(line)
    if args.errors and args.split == "dev":
        for item, predicted in result.misses[: args.errors]:
            print(f"--- {item.id} expected {item.subject} got {predicted}\n{item.text[:400]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
