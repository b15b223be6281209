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
EXPECTED = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}

rows = []
for group, level in ((EMERGENCY, "emergency"), (URGENT, "urgent"), (ROUTINE, "routine"), (SELFCARE, "self_care")):
    for text, lab, note in group:
        assert lab == level, (text, lab)
        rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    assert entry, text
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, lab, note in NULL:
    assert lab is None, text
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

counts = {"emergency": len(EMERGENCY), "urgent": len(URGENT), "routine": len(ROUTINE),
          "self_care": len(SELFCARE), "admin": len(ADMIN), "null": len(NULL)}
assert counts == EXPECTED, counts
assert len(rows) == 360

random.Random(20240607).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print("wrote", len(rows), "rows", counts)
