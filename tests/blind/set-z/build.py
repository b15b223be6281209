#!/usr/bin/env python3
"""Assemble the hand-written lists, check counts, shuffle (fixed seed), write messages.jsonl."""
import json
import random
from pathlib import Path

from data_emergency import EMERGENCY
from data_urgent import URGENT
from data_routine import ROUTINE
from data_selfcare import SELFCARE
from data_admin_null import ADMIN, NULL

HERE = Path(__file__).resolve().parent
EXPECT = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}

rows = []
for lst, lvl in ((EMERGENCY, "emergency"), (URGENT, "urgent"), (ROUTINE, "routine"), (SELFCARE, "self_care")):
    assert len(lst) == EXPECT[lvl], (lvl, len(lst))
    for text, label, note in lst:
        assert label == lvl, (lvl, text)
        rows.append({"text": text, "expect_level": label, "expect_entry": None, "note": note})
assert len(ADMIN) == EXPECT["admin"], len(ADMIN)
for text, entry, note in ADMIN:
    assert entry, text
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
assert len(NULL) == EXPECT["null"], len(NULL)
for text, entry, note in NULL:
    assert entry is None, text
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})
assert len(rows) == 360

random.Random(20240917).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} rows")
