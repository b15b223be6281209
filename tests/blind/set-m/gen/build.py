#!/usr/bin/env python3
"""Build messages.jsonl for blind set-m from the hand-written gen/*.txt files.

Each .txt file holds hand-written entries ("T:" text, optional "E:" FAQ id, "N:" note).
The level comes from the file name. Rows are shuffled with a fixed seed.
"""
import json, random
from pathlib import Path
from parse import parse

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "messages.jsonl"
FILES = {"emergency.txt": "emergency", "urgent.txt": "urgent", "routine.txt": "routine",
         "self_care.txt": "self_care", "admin.txt": None, "null.txt": None}
SEED = 20241206

rows = []
for fn, level in FILES.items():
    for e in parse(HERE / fn):
        entry = e.get("entry")
        if fn == "admin.txt":
            assert entry, e
        else:
            assert entry is None, e
        rows.append({"text": e["text"], "expect_level": level, "expect_entry": entry, "note": e["note"]})

random.Random(SEED).shuffle(rows)
with open(OUT, "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} rows to {OUT}")
