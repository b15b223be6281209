#!/usr/bin/env python3
"""Assemble the hand-written messages into messages.jsonl (shuffled, fixed seed).

The messages themselves live in data_*.py and were written by hand; this script
only attaches labels, checks counts and shuffles.
"""
import json
import random
from collections import Counter
from pathlib import Path

from data_admin_null import ADMIN, NULL
from data_emergency import EMERGENCY
from data_routine_selfcare import ROUTINE, SELF_CARE
from data_urgent import URGENT

SEED = 20241207
OUT = Path(__file__).with_name("messages.jsonl")

rows = []
for level, items in (("emergency", EMERGENCY), ("urgent", URGENT),
                     ("routine", ROUTINE), ("self_care", SELF_CARE)):
    for text, note in items:
        rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, note in NULL:
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

counts = Counter(r["expect_level"] or ("admin" if r["expect_entry"] else "null") for r in rows)
expected = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
assert dict(counts) == expected, counts

random.Random(SEED).shuffle(rows)
with OUT.open("w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} rows to {OUT}")
