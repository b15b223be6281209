#!/usr/bin/env python3
"""Assemble the hand-written lists, check counts, shuffle (fixed seed), write messages.jsonl."""
import json
import random
from collections import Counter
from pathlib import Path

from data_emergency import EMERGENCY
from data_urgent import URGENT
from data_routine import ROUTINE
from data_selfcare import SELFCARE
from data_admin_null import ADMIN, NULL

HERE = Path(__file__).resolve().parent

rows = []
for text, level, note in EMERGENCY + URGENT + ROUTINE + SELFCARE:
    rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, _none, note in NULL:
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

cats = Counter(r["expect_level"] or ("admin" if r["expect_entry"] else "null") for r in rows)
want = {"emergency": 50, "urgent": 35, "routine": 25, "self_care": 20, "admin": 35, "null": 15}
assert dict(cats) == want, cats
assert len(rows) == 180
vig = Counter(r["expect_level"] for r in rows if "clinical vignette" in r["note"].lower())
assert 6 <= vig["emergency"] <= 12 and 3 <= vig["urgent"] <= 8, vig
assert len({r["expect_entry"] for r in rows if r["expect_entry"]}) >= 25
assert len({r["text"] for r in rows}) == 180

random.Random(5).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print("wrote", len(rows), dict(cats), "vignettes", dict(vig))
