#!/usr/bin/env python3
"""BM25 (rank_bm25's BM25Okapi) on an FAQ set: P@1 and MRR@10.

Usage: bm25.py DIR   (DIR holds faqs.jsonl and queries.jsonl)

Documents are the entries' questions, and separately question + answer;
tokens are lower-cased runs of letters and digits (no stemming, no stop
words), as a plain baseline.
"""
import json
import re
import sys
import time
from pathlib import Path

from rank_bm25 import BM25Okapi


def tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def main():
    folder = Path(sys.argv[1])
    faqs = [json.loads(line) for line in (folder / "faqs.jsonl").read_text().splitlines() if line.strip()]
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text().splitlines() if line.strip()]
    ids = [faq["id"] for faq in faqs]
    for name, docs in [
        ("BM25 (rank_bm25), question", [faq["question"] for faq in faqs]),
        ("BM25 (rank_bm25), question + answer", [faq["question"] + " " + faq["answer"] for faq in faqs]),
    ]:
        bm25 = BM25Okapi([tokens(d) for d in docs])
        started = time.perf_counter()
        hits = reciprocal = 0.0
        for query in queries:
            scores = bm25.get_scores(tokens(query["query"]))
            ranked = sorted(range(len(ids)), key=lambda i: -scores[i])[:10]
            relevant = set(query["relevant_ids"])
            if ids[ranked[0]] in relevant:
                hits += 1
            for rank, i in enumerate(ranked):
                if ids[i] in relevant:
                    reciprocal += 1 / (rank + 1)
                    break
        elapsed = time.perf_counter() - started
        n = len(queries)
        print(f"| {name} | {hits / n:.3f} | {reciprocal / n:.3f} | | | {n / elapsed:.0f} |")


if __name__ == "__main__":
    main()
