#!/usr/bin/env python3
"""Validate messages.jsonl for the blind carebot evaluation set. Exit 0 on pass."""
import json, re, sys, difflib
from collections import Counter
from pathlib import Path

PATH = Path(__file__).with_name("messages.jsonl")
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
TARGET = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
VIGNETTE_RANGE = {"emergency": (22, 30), "urgent": (11, 17)}
MIN_IDS = 35
NEAR_DUP = 0.85

errors = []
rows = []
for n, line in enumerate(PATH.read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip():
        errors.append(f"line {n}: blank line"); continue
    try:
        o = json.loads(line)
    except Exception as e:
        errors.append(f"line {n}: bad JSON ({e})"); continue
    if set(o) != {"text", "expect_level", "expect_entry", "note"}:
        errors.append(f"line {n}: keys {sorted(o)}")
        continue
    if not isinstance(o["text"], str) or not o["text"].strip():
        errors.append(f"line {n}: empty text")
    if not isinstance(o["note"], str) or not o["note"].strip():
        errors.append(f"line {n}: empty note")
    lv, en = o["expect_level"], o["expect_entry"]
    if lv is not None and lv not in LEVELS:
        errors.append(f"line {n}: bad level {lv!r}")
    if en is not None and en not in IDS:
        errors.append(f"line {n}: unknown entry {en!r}")
    if lv is not None and en is not None:
        errors.append(f"line {n}: both level and entry set")
    rows.append((n, o))

def bucket(o):
    if o["expect_level"]:
        return o["expect_level"]
    return "admin" if o["expect_entry"] else "null"

counts = Counter(bucket(o) for _, o in rows)
for k, v in TARGET.items():
    if counts.get(k, 0) != v:
        errors.append(f"count {k}: {counts.get(k, 0)} != {v}")
if len(rows) != 360:
    errors.append(f"total {len(rows)} != 360")

vig = Counter(bucket(o) for _, o in rows if "clinical vignette" in o["note"].lower())
for k, (lo, hi) in VIGNETTE_RANGE.items():
    if not lo <= vig.get(k, 0) <= hi:
        errors.append(f"vignettes {k}: {vig.get(k, 0)} not in {lo}-{hi}")
for k in vig:
    if k not in VIGNETTE_RANGE:
        errors.append(f"vignette marked on non-triage-target bucket {k}")

ids_used = Counter(o["expect_entry"] for _, o in rows if o["expect_entry"])
if len(ids_used) < MIN_IDS:
    errors.append(f"distinct ids {len(ids_used)} < {MIN_IDS}")

def norm(t):
    return re.sub(r"[^a-z0-9 ]+", "", t.lower().replace("\u00b4", "'").replace("`", "'")).strip()

seen = {}
normed = []
for n, o in rows:
    t = norm(o["text"])
    if t in seen:
        errors.append(f"line {n}: duplicate of line {seen[t]}")
    seen.setdefault(t, n)
    normed.append((n, t))
for i in range(len(normed)):
    for j in range(i + 1, len(normed)):
        a, b = normed[i][1], normed[j][1]
        if a == b:
            continue
        sm = difflib.SequenceMatcher(None, a, b)
        if sm.real_quick_ratio() < NEAR_DUP or sm.quick_ratio() < NEAR_DUP:
            continue
        r = sm.ratio()
        if r >= NEAR_DUP:
            errors.append(f"lines {normed[i][0]} & {normed[j][0]}: near-duplicate ({r:.2f})")

print("counts:", dict(sorted(counts.items())), "total", len(rows))
print("vignettes:", dict(vig), "| chose safer:", sum("chose safer" in o["note"] for _, o in rows),
      "| distinct ids:", len(ids_used))
if errors:
    print("FAIL")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("PASS")
