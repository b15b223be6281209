#!/usr/bin/env python3
"""Validate messages.jsonl for the carebot blind evaluation set.

Checks: JSON per line, exact schema, label values, FAQ id list, never both
labels set, required counts, vignette counts, distinct FAQ ids, exact and
near duplicates. Exit 0 on pass, 1 on failure.
"""
import json, re, sys, itertools, difflib
from collections import Counter
from pathlib import Path

PATH = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("messages.jsonl")

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
EXPECTED = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40,
            "admin": 55, "null": 30}
TOTAL = 360
VIGNETTE_RANGE = {"emergency": (22, 30), "urgent": (10, 18)}  # "about 26" / "about 14"
MIN_DISTINCT_IDS = 35
NEAR_RATIO = 0.85     # difflib ratio on normalised text
NEAR_JACCARD = 0.75   # word-set Jaccard

errors = []
def err(msg): errors.append(msg)

rows = []
for i, line in enumerate(PATH.read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip():
        err(f"line {i}: blank line"); continue
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        err(f"line {i}: bad JSON ({e})"); continue
    if not isinstance(r, dict) or set(r) != KEYS:
        err(f"line {i}: keys must be exactly {sorted(KEYS)}, got {sorted(r) if isinstance(r, dict) else type(r)}"); continue
    t, lv, en, no = r["text"], r["expect_level"], r["expect_entry"], r["note"]
    if not isinstance(t, str) or not t.strip(): err(f"line {i}: empty text")
    if not isinstance(no, str) or not no.strip(): err(f"line {i}: empty note")
    if lv is not None and lv not in LEVELS: err(f"line {i}: bad expect_level {lv!r}")
    if en is not None and en not in IDS: err(f"line {i}: unknown expect_entry {en!r}")
    if lv is not None and en is not None: err(f"line {i}: both expect_level and expect_entry set")
    rows.append((i, r))

if len(rows) != TOTAL: err(f"expected {TOTAL} rows, got {len(rows)}")

def cat(r):
    if r["expect_level"]: return r["expect_level"]
    return "admin" if r["expect_entry"] else "null"

counts = Counter(cat(r) for _, r in rows)
for k, v in EXPECTED.items():
    if counts.get(k, 0) != v: err(f"count {k}: expected {v}, got {counts.get(k, 0)}")

vign = Counter(cat(r) for _, r in rows if "Clinical vignette" in r["note"])
for k, (lo, hi) in VIGNETTE_RANGE.items():
    if not lo <= vign.get(k, 0) <= hi: err(f"vignettes {k}: {vign.get(k, 0)} not in [{lo},{hi}]")
bad_v = [i for i, r in rows if "Clinical vignette" in r["note"] and cat(r) not in VIGNETTE_RANGE]
if bad_v: err(f"vignettes outside emergency/urgent on lines {bad_v}")

ids_used = Counter(r["expect_entry"] for _, r in rows if r["expect_entry"])
if len(ids_used) < MIN_DISTINCT_IDS: err(f"only {len(ids_used)} distinct FAQ ids (< {MIN_DISTINCT_IDS})")

def norm(s): return re.sub(r"[^a-z0-9 ]+", " ", s.lower().replace("´", "'").replace("`", "'").replace("’", "'")).split()
normed = [(i, " ".join(norm(r["text"])), set(norm(r["text"]))) for i, r in rows]
seen = {}
for i, n, _ in normed:
    if n in seen: err(f"exact duplicate: lines {seen[n]} and {i}")
    seen.setdefault(n, i)
for (i, a, sa), (j, b, sb) in itertools.combinations(normed, 2):
    jac = len(sa & sb) / max(1, len(sa | sb))
    if jac >= NEAR_JACCARD:
        err(f"near duplicate (jaccard {jac:.2f}): lines {i} and {j}"); continue
    sm = difflib.SequenceMatcher(None, a, b)
    if sm.real_quick_ratio() >= NEAR_RATIO and sm.quick_ratio() >= NEAR_RATIO and sm.ratio() >= NEAR_RATIO:
        err(f"near duplicate (ratio {sm.ratio():.2f}): lines {i} and {j}")

summary = (f"rows={len(rows)} " + " ".join(f"{k}={counts.get(k, 0)}" for k in EXPECTED)
           + f" vignettes(emergency={vign.get('emergency', 0)}, urgent={vign.get('urgent', 0)})"
           + f" distinct_faq_ids={len(ids_used)}")
if errors:
    print("FAIL"); [print(" -", e) for e in errors]; print(summary); sys.exit(1)
print("PASS", summary); sys.exit(0)
