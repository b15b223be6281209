#!/usr/bin/env python3
"""Assemble the hand-written lists into messages.jsonl (no text generation here)."""
import json
import random
from pathlib import Path

from data_emergency import EMERGENCY, EMERGENCY_VIGNETTES
from data_urgent import URGENT, URGENT_VIGNETTES
from data_routine import ROUTINE
from data_selfcare import SELF_CARE
from data_admin_null import ADMIN, NULL

HERE = Path(__file__).resolve().parent

rows = []
for text, level, note in EMERGENCY + EMERGENCY_VIGNETTES + URGENT + URGENT_VIGNETTES + ROUTINE + SELF_CARE:
    rows.append({"text": text, "expect_level": level, "expect_entry": None, "note": note})
for text, entry, note in ADMIN:
    rows.append({"text": text, "expect_level": None, "expect_entry": entry, "note": note})
for text, _none, note in NULL:
    assert _none is None
    rows.append({"text": text, "expect_level": None, "expect_entry": None, "note": note})

# count checks
def count(pred):
    return sum(1 for r in rows if pred(r))

expected = {
    "emergency": 120, "urgent": 70, "routine": 45, "self_care": 40,
}
for lv, n in expected.items():
    got = count(lambda r: r["expect_level"] == lv)
    assert got == n, (lv, got, n)
assert count(lambda r: r["expect_entry"] is not None) == 55
assert count(lambda r: r["expect_level"] is None and r["expect_entry"] is None) == 30
assert len(rows) == 360
ev = count(lambda r: r["expect_level"] == "emergency" and "clinical vignette" in r["note"].lower())
uv = count(lambda r: r["expect_level"] == "urgent" and "clinical vignette" in r["note"].lower())
assert 22 <= ev <= 30 and 11 <= uv <= 17, (ev, uv)
assert len({r["text"] for r in rows}) == 360

random.Random(20240617).shuffle(rows)
with open(HERE / "messages.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} rows (emergency vignettes {ev}, urgent vignettes {uv})")
