#!/usr/bin/env python3
"""Validate messages.jsonl: JSON per line, exact keys, allowed levels, exact
counts, expect_entry null, non-empty text/note, no duplicate or near-duplicate texts."""
import difflib
import itertools
import json
import re
import sys
from collections import Counter
from pathlib import Path

PATH = Path(__file__).with_name("messages.jsonl")
KEYS = {"text", "expect_level", "expect_entry", "note"}
WANT = {"emergency": 40, "urgent": 30, "routine": 20, "self_care": 30}
RATIO_MAX = 0.80    # difflib character similarity
JACCARD_MAX = 0.50  # word-bigram Jaccard similarity

errors, rows = [], []
for i, line in enumerate(PATH.read_text(encoding="utf-8").splitlines(), 1):
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        errors.append(f"line {i}: invalid JSON ({e})"); continue
    if not isinstance(r, dict) or set(r) != KEYS:
        errors.append(f"line {i}: keys {sorted(r) if isinstance(r, dict) else type(r)}"); continue
    if r["expect_level"] not in WANT:
        errors.append(f"line {i}: bad level {r['expect_level']!r}")
    if r["expect_entry"] is not None:
        errors.append(f"line {i}: expect_entry not null")
    for k in ("text", "note"):
        if not isinstance(r[k], str) or not r[k].strip():
            errors.append(f"line {i}: empty {k}")
    rows.append(r)

counts = Counter(r["expect_level"] for r in rows)
if dict(counts) != WANT:
    errors.append(f"counts {dict(counts)} != {WANT}")

def norm(t):
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", t.lower())).strip()

def bigrams(t):
    w = norm(t).split()
    return set(zip(w, w[1:]))

texts = [r["text"] for r in rows]
exact = [t for t, c in Counter(map(norm, texts)).items() if c > 1]
for t in exact:
    errors.append(f"duplicate text: {t[:60]}")

max_ratio = max_jac = 0.0
for (i, a), (j, b) in itertools.combinations(enumerate(texts), 2):
    ratio = difflib.SequenceMatcher(None, norm(a), norm(b)).ratio()
    ba, bb = bigrams(a), bigrams(b)
    jac = len(ba & bb) / len(ba | bb) if ba | bb else 0.0
    max_ratio, max_jac = max(max_ratio, ratio), max(max_jac, jac)
    if ratio > RATIO_MAX or jac > JACCARD_MAX:
        errors.append(f"near-duplicate lines {i+1} and {j+1} (ratio {ratio:.2f}, jaccard {jac:.2f})")

print(f"rows: {len(rows)}")
print("counts:", {k: counts.get(k, 0) for k in WANT})
print(f"expect_entry null: {sum(r['expect_entry'] is None for r in rows)}/{len(rows)}")
print(f"notes with 'chose safer': {sum('chose safer' in r['note'] for r in rows)}")
print(f"max pairwise char ratio: {max_ratio:.2f} (limit {RATIO_MAX}); "
      f"max word-bigram jaccard: {max_jac:.2f} (limit {JACCARD_MAX})")
print(f"text length (words): min {min(len(t.split()) for t in texts)}, "
      f"max {max(len(t.split()) for t in texts)}")
if errors:
    print("FAIL"); print("\n".join(errors)); sys.exit(1)
print("OK: all checks passed")
