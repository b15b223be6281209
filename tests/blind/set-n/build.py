#!/usr/bin/env python3
"""Assemble blind set N from the hand-written data_*.py files.

Every message text and note lives in the data files; this script only
attaches labels, shuffles with a fixed seed and writes messages.jsonl.
Usage: python3 build.py
"""
import json
import random
from pathlib import Path

from data_emergency import EMERGENCY, EMERGENCY_VIGNETTES
from data_urgent import URGENT, URGENT_VIGNETTES
from data_routine_selfcare import ROUTINE, SELF_CARE
from data_admin_null import ADMIN, NULL

SEED = 20241207
HERE = Path(__file__).resolve().parent

rows = []
for level, items in (("emergency", EMERGENCY + EMERGENCY_VIGNETTES),
                     ("urgent", URGENT + URGENT_VIGNETTES),
                     ("routine", ROUTINE),
                     ("self_care", SELF_CARE)):
    for text, note in items:
        rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, note in NULL:
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

random.Random(SEED).shuffle(rows)
out = HERE / "messages.jsonl"
with out.open("w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} rows to {out}")
