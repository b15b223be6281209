#!/usr/bin/env python3
"""Validate messages.jsonl for a blind set: schema, labels, counts, FAQ ids, duplicates.

Exit 0 on pass, 1 on any failure.  Usage: python3 tests/blind/validate.py [--spanish] tests/blind/SET/messages.jsonl
(--spanish: the 180-message Spanish sets, tests/blind/brief_es.md)
"""
import difflib
import json
import re
import sys
from collections import Counter
from pathlib import Path

ARGS = sys.argv[1:]
SPANISH = "--spanish" in ARGS
ARGS = [a for a in ARGS if a != "--spanish"]
if len(ARGS) != 1:
    sys.exit(__doc__)
PATH = Path(ARGS[0])

LEVELS = {"emergency", "urgent", "routine", "self_care"}
IDS = set("""about-carebot accessibility after-hours-care billing-questions blood-tests
book-appointment cancel-reschedule childhood-vaccines choose-doctor contact-details
covid-vaccine flu-vaccine forms-sick-notes greeting holiday-hours identifiers-in-chat
insurance-accepted interpreters location-directions medical-records missed-appointment
new-patient-registration opening-hours parking payment-options portal-not-working
portal-password portal-signup prescription-ready prescriptions-in-chat privacy-delete-data
privacy-what-stored referrals repeat-prescription same-day-appointment self-pay
talk-to-someone telehealth test-results-how-long test-results-in-chat test-results-where
travel-vaccines what-to-bring""".split())
KEYS = {"text", "expect_level", "expect_entry", "note"}
if SPANISH:
    TARGET = {"emergency": 50, "urgent": 35, "routine": 25, "self_care": 20, "admin": 35, "null": 15}
    TOTAL = 180
    MIN_DISTINCT_IDS = 25
    VIGNETTE_RANGE = {"emergency": (6, 12), "urgent": (3, 8)}
else:
    TARGET = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
    TOTAL = 360
    MIN_DISTINCT_IDS = 35
    VIGNETTE_RANGE = {"emergency": (22, 30), "urgent": (11, 17)}  # "about 26" / "about 14"
NEAR_DUP_RATIO = 0.88
NEAR_DUP_JACCARD = 0.8

errors = []


def err(msg):
    errors.append(msg)


def norm(t):
    # Inverted punctuation (Spanish sets) is not a difference between messages.
    t = t.lower().replace("¿", " ").replace("¡", " ").replace("´", "'").replace("`", "'").replace("’", "'")
    t = re.sub(r"[^\w\s']", " ", t)
    return re.sub(r"\s+", " ", t).strip()


if not PATH.exists():
    print(f"FAIL: {PATH} not found")
    sys.exit(1)

rows = []
for i, line in enumerate(PATH.read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip():
        err(f"line {i}: blank line")
        continue
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        err(f"line {i}: invalid JSON ({e})")
        continue
    if not isinstance(obj, dict) or set(obj) != KEYS:
        err(f"line {i}: keys must be exactly {sorted(KEYS)}, got {sorted(obj) if isinstance(obj, dict) else type(obj)}")
        continue
    t, lv, en, nt = obj["text"], obj["expect_level"], obj["expect_entry"], obj["note"]
    if not isinstance(t, str) or not t.strip():
        err(f"line {i}: text must be a non-empty string")
    if t != t.strip():
        err(f"line {i}: text has leading/trailing whitespace")
    if not isinstance(nt, str) or len(nt.strip()) < 5:
        err(f"line {i}: note must be a non-empty string")
    if lv is not None and lv not in LEVELS:
        err(f"line {i}: bad expect_level {lv!r}")
    if en is not None and en not in IDS:
        err(f"line {i}: unknown expect_entry {en!r}")
    if lv is not None and en is not None:
        err(f"line {i}: both expect_level and expect_entry set")
    if isinstance(nt, str) and "chose safer" in nt.lower() and lv is None:
        err(f"line {i}: 'chose safer' on a line with no level")
    if isinstance(nt, str) and "clinical vignette" in nt.lower() and lv is None:
        err(f"line {i}: vignette without a level")
    rows.append((i, obj))

# ---- counts
cat = Counter()
vign = Counter()
ids = Counter()
for i, o in rows:
    if o["expect_level"]:
        cat[o["expect_level"]] += 1
        if "clinical vignette" in o["note"].lower():
            vign[o["expect_level"]] += 1
    elif o["expect_entry"]:
        cat["admin"] += 1
        ids[o["expect_entry"]] += 1
    else:
        cat["null"] += 1

if len(rows) != TOTAL:
    err(f"total rows {len(rows)} != {TOTAL}")
for k, v in TARGET.items():
    if cat[k] != v:
        err(f"count {k}: {cat[k]} != {v}")
for k, (lo, hi) in VIGNETTE_RANGE.items():
    if not lo <= vign[k] <= hi:
        err(f"{k} vignettes: {vign[k]} not in [{lo},{hi}]")
for k in ("routine", "self_care"):
    if vign[k]:
        pass  # allowed, just reported
if len(ids) < MIN_DISTINCT_IDS:
    err(f"distinct FAQ ids {len(ids)} < {MIN_DISTINCT_IDS}")

# ---- duplicates / near-duplicates
normed = [(i, norm(o["text"])) for i, o in rows]
seen = {}
for i, n in normed:
    if n in seen:
        err(f"line {i}: exact duplicate of line {seen[n]}")
    else:
        seen[n] = i
toks = [(i, n, set(n.split())) for i, n in normed]
for a in range(len(toks)):
    ia, na, sa = toks[a]
    for b in range(a + 1, len(toks)):
        ib, nb, sb = toks[b]
        if na == nb:
            continue
        if len(sa) >= 4 and len(sb) >= 4:
            jac = len(sa & sb) / len(sa | sb)
            if jac >= NEAR_DUP_JACCARD:
                err(f"lines {ia}/{ib}: near-duplicate (token Jaccard {jac:.2f})")
                continue
        sm = difflib.SequenceMatcher(None, na, nb)
        if sm.real_quick_ratio() >= NEAR_DUP_RATIO and sm.quick_ratio() >= NEAR_DUP_RATIO and sm.ratio() >= NEAR_DUP_RATIO:
            err(f"lines {ia}/{ib}: near-duplicate (char ratio {sm.ratio():.2f})")

# ---- report
print("counts:", " ".join(f"{k}={cat[k]}" for k in TARGET), f"total={len(rows)}")
print("vignettes:", " ".join(f"{k}={vign[k]}" for k in ("emergency", "urgent")),
      "| chose_safer:", sum("chose safer" in o["note"].lower() for _, o in rows),
      f"| distinct FAQ ids: {len(ids)}/{len(IDS)}")
if errors:
    print(f"FAIL ({len(errors)} problems)")
    for e in errors[:200]:
        print("  -", e)
    sys.exit(1)
print("PASS")
sys.exit(0)
