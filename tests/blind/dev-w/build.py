#!/usr/bin/env python3
"""Assemble the hand-written lists, check counts, shuffle with a fixed seed, write messages.jsonl."""
import json
import random
from pathlib import Path

from data_emergency import EMERGENCY
from data_urgent import URGENT
from data_routine import ROUTINE
from data_selfcare import SELF_CARE
from data_admin_null import ADMIN, NULL

HERE = Path(__file__).resolve().parent

rows = []
for lst, level in ((EMERGENCY, "emergency"), (URGENT, "urgent"), (ROUTINE, "routine"), (SELF_CARE, "self_care")):
    for text, lab, note in lst:
        assert lab == level, (text, lab)
        rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    assert entry, text
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, entry, note in NULL:
    assert entry is None, text
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

expected = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40}
for k, v in expected.items():
    n = sum(r["expect_level"] == k for r in rows)
    assert n == v, (k, n)
assert len(ADMIN) == 55 and len(NULL) == 30
assert len(rows) == 360

random.Random(20240607).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print("wrote", len(rows), "rows")
