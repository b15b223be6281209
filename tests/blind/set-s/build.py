#!/usr/bin/env python3
"""Assemble the hand-written lists into messages.jsonl (no generation)."""
import json
import random
from pathlib import Path

import data_emergency
import data_urgent
import data_routine
import data_selfcare
import data_admin_null

HERE = Path(__file__).resolve().parent
rows = []
for mod in (data_emergency, data_urgent, data_routine, data_selfcare):
    for text, level, note in mod.ITEMS:
        rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in data_admin_null.ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, _none, note in data_admin_null.NULL:
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

count = {}
for r in rows:
    k = r["expect_level"] or ("admin" if r["expect_entry"] else "null")
    count[k] = count.get(k, 0) + 1
want = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
assert count == want, count
assert len(rows) == 360

random.Random(20240917).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print("wrote", len(rows), "rows", count)
