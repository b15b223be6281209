#!/usr/bin/env python3
"""Assemble hand-written lists, check counts, shuffle (seed 3), write messages.jsonl."""
import json, random
from pathlib import Path
from data_emergency import EMERGENCY
from data_urgent import URGENT
from data_routine import ROUTINE
from data_selfcare import SELFCARE
from data_admin_null import ADMIN, NULL

assert len(EMERGENCY) == 50 and len(URGENT) == 35 and len(ROUTINE) == 25
assert len(SELFCARE) == 20 and len(ADMIN) == 35 and len(NULL) == 15
rows = []
for lst in (EMERGENCY, URGENT, ROUTINE, SELFCARE):
    for t, lv, n in lst:
        rows.append({"text": t, "expect_level": lv, "expect_entry": None, "note": n})
for t, e, n in ADMIN:
    rows.append({"text": t, "expect_level": None, "expect_entry": e, "note": n})
for t, _, n in NULL:
    rows.append({"text": t, "expect_level": None, "expect_entry": None, "note": n})
assert len(rows) == 180
random.Random(3).shuffle(rows)
out = Path(__file__).with_name("messages.jsonl")
out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
print("wrote", len(rows))
