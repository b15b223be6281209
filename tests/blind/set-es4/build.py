#!/usr/bin/env python3
"""Assemble the hand-written lists into messages.jsonl (no text generation here)."""
import json
import random
from pathlib import Path

from data_emergency import EMERGENCY
from data_urgent import URGENT
from data_routine import ROUTINE
from data_selfcare import SELFCARE
from data_admin_null import ADMIN, NULL

HERE = Path(__file__).resolve().parent

assert len(EMERGENCY) == 50 and all(l == "emergency" for _, l, _ in EMERGENCY)
assert len(URGENT) == 35 and all(l == "urgent" for _, l, _ in URGENT)
assert len(ROUTINE) == 25 and all(l == "routine" for _, l, _ in ROUTINE)
assert len(SELFCARE) == 20 and all(l == "self_care" for _, l, _ in SELFCARE)
assert len(ADMIN) == 35 and all(e for _, e, _ in ADMIN)
assert len(NULL) == 15 and all(e is None for _, e, _ in NULL)

rows = []
for text, level, note in EMERGENCY + URGENT + ROUTINE + SELFCARE:
    rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, _, note in NULL:
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})
assert len(rows) == 180

random.Random(4104).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print("wrote", len(rows), "rows")
