#!/usr/bin/env python3
"""Assemble the hand-written messages in data_*.py into messages.jsonl.

All message texts and notes are written by hand in the data_*.py files; this
script only attaches labels, checks counts and shuffles with a fixed seed.
Usage: python3 build.py
"""
import json
import random
from pathlib import Path

from data_emergency import EMERGENCY
from data_urgent import URGENT
from data_routine import ROUTINE
from data_selfcare import SELF_CARE
from data_admin_null import ADMIN, NULL

SEED = 20240617
HERE = Path(__file__).resolve().parent

rows = []
for level, items in (("emergency", EMERGENCY), ("urgent", URGENT),
                     ("routine", ROUTINE), ("self_care", SELF_CARE)):
    for text, note in items:
        rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, note in NULL:
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

assert len(EMERGENCY) == 120 and len(URGENT) == 70 and len(ROUTINE) == 45
assert len(SELF_CARE) == 40 and len(ADMIN) == 55 and len(NULL) == 30
assert len(rows) == 360

random.Random(SEED).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} rows to {HERE / 'messages.jsonl'}")
