#!/usr/bin/env python3
"""Assemble the hand-written messages in src/ into messages.jsonl (shuffled, fixed seed)."""
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "src"))
import emergency, urgent, routine, selfcare, admin, nulls  # noqa: E402

SEED = 20241207
rows = []
for text, note in emergency.PATIENT + emergency.VIGNETTES:
    rows.append({"text": text, "expect_level": "emergency", "expect_entry": None, "note": note})
for text, note in urgent.PATIENT + urgent.VIGNETTES:
    rows.append({"text": text, "expect_level": "urgent", "expect_entry": None, "note": note})
for text, note in routine.PATIENT:
    rows.append({"text": text, "expect_level": "routine", "expect_entry": None, "note": note})
for text, note in selfcare.PATIENT:
    rows.append({"text": text, "expect_level": "self_care", "expect_entry": None, "note": note})
for text, entry, note in admin.ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, note in nulls.NULL:
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

random.Random(SEED).shuffle(rows)
out = HERE / "messages.jsonl"
with out.open("w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps({k: r[k] for k in ("text", "expect_level", "expect_entry", "note")}, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} rows to {out}")
