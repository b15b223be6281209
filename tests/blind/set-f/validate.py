#!/usr/bin/env python3
"""Validate /work/blind-f/messages.jsonl. Prints counts; exit 0 on pass, 1 on failure."""
import json, os, re, sys, difflib
from collections import Counter

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "messages.jsonl")
KEYS = {"text", "expect_level", "expect_entry", "note"}
LEVELS = {"emergency", "urgent", "routine", "self_care"}
IDS = set("""about-carebot accessibility after-hours-care billing-questions blood-tests book-appointment
cancel-reschedule childhood-vaccines choose-doctor contact-details covid-vaccine flu-vaccine forms-sick-notes
greeting holiday-hours identifiers-in-chat insurance-accepted interpreters location-directions medical-records
missed-appointment new-patient-registration opening-hours parking payment-options portal-not-working
portal-password portal-signup prescription-ready prescriptions-in-chat privacy-delete-data privacy-what-stored
referrals repeat-prescription same-day-appointment self-pay talk-to-someone telehealth test-results-how-long
test-results-in-chat test-results-where travel-vaccines what-to-bring""".split())
EXPECT = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "faq": 55, "null": 30}
EXPECT_VIGNETTE = {"emergency": 26, "urgent": 14}
TOTAL = 360
MIN_DISTINCT_IDS = 35
NEAR_DUP = 0.90  # difflib ratio on normalised text

errors = []


def err(msg):
    errors.append(msg)


def norm(t):
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", t.casefold())).strip()


rows = []
try:
    with open(PATH, encoding="utf-8") as f:
        raw = f.read()
except OSError as e:
    print(f"FAIL: cannot read {PATH}: {e}")
    sys.exit(1)

lines = raw.split("\n")
if lines and lines[-1] == "":
    lines = lines[:-1]
for n, line in enumerate(lines, 1):
    if not line.strip():
        err(f"line {n}: blank line")
        continue
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        err(f"line {n}: invalid JSON ({e})")
        continue
    if not isinstance(r, dict):
        err(f"line {n}: not an object")
        continue
    if set(r) != KEYS:
        err(f"line {n}: keys {sorted(r)} != {sorted(KEYS)}")
        continue
    if not isinstance(r["text"], str) or not r["text"].strip():
        err(f"line {n}: text must be a non-empty string")
    if not isinstance(r["note"], str) or not r["note"].strip():
        err(f"line {n}: note must be a non-empty string")
    lv, en = r["expect_level"], r["expect_entry"]
    if lv is not None and lv not in LEVELS:
        err(f"line {n}: bad expect_level {lv!r}")
    if en is not None and en not in IDS:
        err(f"line {n}: bad expect_entry {en!r}")
    if lv is not None and en is not None:
        err(f"line {n}: both expect_level and expect_entry set")
    if "Clinical vignette" in r.get("note", "") and lv not in ("emergency", "urgent"):
        err(f"line {n}: Clinical vignette on non emergency/urgent line")
    r["_n"] = n
    rows.append(r)

if len(lines) != TOTAL:
    err(f"expected {TOTAL} lines, got {len(lines)}")


def cat(r):
    if r["expect_level"]:
        return r["expect_level"]
    return "faq" if r["expect_entry"] else "null"


counts = Counter(cat(r) for r in rows)
vign = Counter(r["expect_level"] for r in rows if "Clinical vignette" in r["note"])
ids = Counter(r["expect_entry"] for r in rows if r["expect_entry"])
safer = sum(1 for r in rows if "chose safer" in r["note"])

for k, v in EXPECT.items():
    if counts.get(k, 0) != v:
        err(f"count {k}: expected {v}, got {counts.get(k, 0)}")
for k, v in EXPECT_VIGNETTE.items():
    if vign.get(k, 0) != v:
        err(f"vignettes {k}: expected {v}, got {vign.get(k, 0)}")
if len(ids) < MIN_DISTINCT_IDS:
    err(f"distinct FAQ ids: expected >= {MIN_DISTINCT_IDS}, got {len(ids)}")

# duplicates and near-duplicates
seen = {}
for r in rows:
    k = norm(r["text"])
    if k in seen:
        err(f"line {r['_n']}: duplicate text of line {seen[k]}")
    else:
        seen[k] = r["_n"]
normed = [(r["_n"], norm(r["text"])) for r in rows]
for i in range(len(normed)):
    for j in range(i + 1, len(normed)):
        a, b = normed[i][1], normed[j][1]
        if a == b:
            continue
        sm = difflib.SequenceMatcher(None, a, b)
        if sm.real_quick_ratio() < NEAR_DUP or sm.quick_ratio() < NEAR_DUP:
            continue
        if sm.ratio() >= NEAR_DUP:
            err(f"lines {normed[i][0]} and {normed[j][0]}: near-duplicate texts")

print("total lines:", len(lines))
for k in ["emergency", "urgent", "routine", "self_care", "faq", "null"]:
    print(f"  {k:10s} {counts.get(k, 0):4d} (expected {EXPECT[k]})")
print("clinical vignettes:", dict(vign), "total", sum(vign.values()))
print("distinct FAQ ids:", len(ids), "of", len(IDS))
print("'chose safer' lines:", safer)
if errors:
    print(f"FAIL ({len(errors)} problems):")
    for e in errors[:50]:
        print("  -", e)
    sys.exit(1)
print("PASS")
sys.exit(0)
