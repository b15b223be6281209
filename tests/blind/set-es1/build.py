#!/usr/bin/env python3
"""Assemble the hand-written lists, check counts, shuffle (fixed seed), write messages.jsonl."""
import json
import random
from collections import Counter
from pathlib import Path

from data_emergency import EMERGENCY
from data_urgent import URGENT
from data_routine import ROUTINE
from data_selfcare import SELF_CARE
from data_admin_null import ADMIN, NULL

HERE = Path(__file__).resolve().parent

rows = []
for lst in (EMERGENCY, URGENT, ROUTINE, SELF_CARE):
    for text, level, note in lst:
        rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, _none, note in NULL:
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

expected = {"emergency": 50, "urgent": 35, "routine": 25, "self_care": 20}
got = Counter(r["expect_level"] for r in rows if r["expect_level"])
assert dict(got) == expected, got
assert len(ADMIN) == 35, len(ADMIN)
assert len(NULL) == 15, len(NULL)
assert len({e for _, e, _ in ADMIN}) >= 25
assert len(rows) == 180, len(rows)

random.Random(20240611).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} rows")
