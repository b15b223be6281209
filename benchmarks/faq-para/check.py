#!/usr/bin/env python3
"""Check the held-out FAQ paraphrase set (faqs.jsonl + queries.jsonl).

Usage: python3 check.py            (run from anywhere; reads files beside this script)
Exit code 0 when every check passes, 1 otherwise.
"""
import difflib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
N_ENTRIES = 80
PER_STYLE = 3
STYLES = ("paraphrase", "consumer")
MIN_WORDS, MAX_WORDS = 60, 200
DUP_RATIO = 0.8
CONSUMER_SENTENCES = (2, 5)

errors = []


def err(msg):
    errors.append(msg)


def load(name, keys):
    rows = []
    for n, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            err(f"{name}:{n}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            err(f"{name}:{n}: invalid JSON ({e})")
            continue
        if not isinstance(obj, dict) or set(obj) != keys:
            err(f"{name}:{n}: keys must be exactly {sorted(keys)}, got {sorted(obj) if isinstance(obj, dict) else type(obj)}")
            continue
        rows.append((n, obj))
    return rows


def norm(s):
    return " ".join(re.sub(r"[^\w\s]", " ", s.lower()).split())


def sentences(s):
    # split after . ? ! when followed by whitespace and a capital letter, digit or quote
    parts = re.split(r"(?<=[.?!])\s+(?=[A-Z0-9'\"])", s.strip())
    return [p for p in parts if p]


faqs = load("faqs.jsonl", {"id", "question", "answer"})
queries = load("queries.jsonl", {"query", "relevant_ids", "style"})

# ---- entries
ids = [o["id"] for _, o in faqs]
dupe_ids = [i for i, c in Counter(ids).items() if c > 1]
if dupe_ids:
    err(f"duplicate ids: {dupe_ids}")
if len(set(ids)) != N_ENTRIES:
    err(f"expected {N_ENTRIES} unique ids, found {len(set(ids))}")
question = {}
for n, o in faqs:
    if not all(isinstance(o[k], str) and o[k].strip() for k in ("id", "question", "answer")):
        err(f"faqs.jsonl:{n}: id/question/answer must be non-empty strings")
        continue
    if not re.fullmatch(r"para-\d+", o["id"]):
        err(f"faqs.jsonl:{n}: id {o['id']!r} is not of the form para-N")
    question[o["id"]] = o["question"]
    wc = len(o["answer"].split())
    if not MIN_WORDS <= wc <= MAX_WORDS:
        err(f"{o['id']}: answer has {wc} words (want {MIN_WORDS}-{MAX_WORDS})")
    if not o["question"].rstrip().endswith("?"):
        err(f"{o['id']}: question does not end with '?'")
qnorm = Counter(norm(q) for q in question.values())
for q, c in qnorm.items():
    if c > 1:
        err(f"duplicate entry question: {q!r}")

# ---- queries
if len(queries) != N_ENTRIES * PER_STYLE * len(STYLES):
    err(f"expected {N_ENTRIES * PER_STYLE * len(STYLES)} queries, found {len(queries)}")
per = defaultdict(Counter)
multi = 0
worst_q = 0.0
for n, o in queries:
    q, rel, style = o["query"], o["relevant_ids"], o["style"]
    if not isinstance(q, str) or not q.strip():
        err(f"queries.jsonl:{n}: empty query")
        continue
    if style not in STYLES:
        err(f"queries.jsonl:{n}: bad style {style!r}")
    if not isinstance(rel, list) or not rel or not all(isinstance(x, str) for x in rel):
        err(f"queries.jsonl:{n}: relevant_ids must be a non-empty list of strings")
        continue
    if len(set(rel)) != len(rel):
        err(f"queries.jsonl:{n}: repeated id in relevant_ids")
    if len(rel) > 2:
        err(f"queries.jsonl:{n}: more than two relevant ids")
    multi += len(rel) > 1
    for r in rel:
        if r not in question:
            err(f"queries.jsonl:{n}: relevant id {r!r} does not exist")
    per[rel[0]][style] += 1  # the first id is the entry the query was written for
    # near-duplicate of any relevant entry's question
    for r in rel:
        if r in question:
            ratio = difflib.SequenceMatcher(None, norm(q), norm(question[r])).ratio()
            worst_q = max(worst_q, ratio)
            if ratio >= DUP_RATIO:
                err(f"queries.jsonl:{n}: near-duplicate of {r} question (ratio {ratio:.2f}): {q!r}")
    # shape by style
    k = len(sentences(q))
    if style == "consumer" and not CONSUMER_SENTENCES[0] <= k <= CONSUMER_SENTENCES[1]:
        err(f"queries.jsonl:{n}: consumer query has {k} sentences (want {CONSUMER_SENTENCES[0]}-{CONSUMER_SENTENCES[1]})")
    if style == "paraphrase" and k != 1:
        err(f"queries.jsonl:{n}: paraphrase query has {k} sentences (want 1)")

for i in question:
    for s in STYLES:
        if per[i][s] != PER_STYLE:
            err(f"{i}: {per[i][s]} {s} queries (want {PER_STYLE})")
for i in per:
    if i not in question:
        err(f"queries written for unknown entry {i}")

# ---- query-vs-query near-duplicates
texts = [norm(o["query"]) for _, o in queries]
lines = [n for n, _ in queries]
seen = Counter(texts)
for t, c in seen.items():
    if c > 1:
        err(f"exact duplicate query: {t!r}")
worst = 0.0
for a in range(len(texts)):
    m = difflib.SequenceMatcher(None, "", texts[a])  # seq2 is cached, seq1 varies
    for b in range(a + 1, len(texts)):
        m.set_seq1(texts[b])
        r = m.ratio()
        worst = max(worst, r)
        if r >= DUP_RATIO:
            err(f"queries.jsonl:{lines[a]} and :{lines[b]} are near-duplicates (ratio {r:.2f})")

# ---- report
styles = Counter(o["style"] for _, o in queries)
print(f"entries: {len(question)} unique ids; answer words min/max: "
      f"{min(len(o['answer'].split()) for _, o in faqs)}/{max(len(o['answer'].split()) for _, o in faqs)}")
print(f"queries: {len(queries)} ({', '.join(f'{s}={styles[s]}' for s in STYLES)}); with two relevant ids: {multi}")
print(f"highest query-vs-own-entry-question ratio: {worst_q:.2f} (limit < {DUP_RATIO})")
print(f"highest query-vs-query ratio over all pairs: {worst:.2f} (limit < {DUP_RATIO})")
if errors:
    print(f"FAIL: {len(errors)} problem(s)")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("PASS: all checks passed")
