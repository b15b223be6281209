#!/usr/bin/env python3
"""Assemble the hand-written lists, check counts, shuffle with a fixed seed, write messages.jsonl."""
import json
import random
from collections import Counter
from pathlib import Path

from data_emergency import EMERGENCY, EMERGENCY_VIGNETTES
from data_urgent import URGENT, URGENT_VIGNETTES
from data_routine import ROUTINE
from data_selfcare import SELF_CARE
from data_admin_null import ADMIN, NULL

HERE = Path(__file__).resolve().parent
LEVELS = ("emergency", "urgent", "routine", "self_care")

rows = []
for text, level, note in EMERGENCY + EMERGENCY_VIGNETTES + URGENT + URGENT_VIGNETTES + ROUTINE + SELF_CARE:
    assert level in LEVELS, (text, level)
    rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    assert entry, text
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, entry, note in NULL:
    assert entry is None, text
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

cat = Counter(r["expect_level"] or ("admin" if r["expect_entry"] else "null") for r in rows)
want = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
assert dict(cat) == want, cat
vign = Counter(r["expect_level"] for r in rows if "clinical vignette" in r["note"].lower())
assert 22 <= vign["emergency"] <= 30 and 11 <= vign["urgent"] <= 17, vign
assert len({r["expect_entry"] for r in rows if r["expect_entry"]}) >= 35
assert len(rows) == 360
assert len({r["text"] for r in rows}) == 360

random.Random(20241207).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print("wrote", len(rows), dict(cat), "vignettes", dict(vign))
