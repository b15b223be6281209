#!/usr/bin/env python3
"""Validate messages.jsonl for the carebot blind evaluation set (dev-l).

Checks: JSON schema, allowed labels, FAQ id list, level/entry exclusivity,
exact category counts, vignette counts, distinct FAQ ids, exact and near
duplicates. Exit 0 on pass, 1 on failure.
"""
import collections
import difflib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "messages.jsonl")

LEVELS = {"emergency", "urgent", "routine", "self_care"}
IDS = set("""about-carebot accessibility after-hours-care billing-questions blood-tests
book-appointment cancel-reschedule childhood-vaccines choose-doctor contact-details
covid-vaccine flu-vaccine forms-sick-notes greeting holiday-hours identifiers-in-chat
insurance-accepted interpreters location-directions medical-records missed-appointment
new-patient-registration opening-hours parking payment-options portal-not-working
portal-password portal-signup prescription-ready prescriptions-in-chat
privacy-delete-data privacy-what-stored referrals repeat-prescription
same-day-appointment self-pay talk-to-someone telehealth test-results-how-long
test-results-in-chat test-results-where travel-vaccines what-to-bring""".split())
KEYS = {"text", "expect_level", "expect_entry", "note"}
EXPECTED = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40,
            "admin": 55, "null": 30}
TOTAL = 360
VIGNETTE_RANGE = {"emergency": (22, 30), "urgent": (11, 17)}
MIN_DISTINCT_IDS = 35
NEAR_DUP_RATIO = 0.85
NEAR_DUP_JACCARD = 0.75

errors = []


def err(msg):
    errors.append(msg)


def norm(t):
    t = t.lower().replace("\u00b4", "'").replace("`", "'").replace("\u2019", "'")
    t = re.sub(r"[^a-z0-9' ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


rows = []
with open(PATH, encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
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
        t, lvl, ent, note = obj["text"], obj["expect_level"], obj["expect_entry"], obj["note"]
        if not isinstance(t, str) or not t.strip():
            err(f"line {i}: empty text")
        if t != t.strip():
            err(f"line {i}: text has leading/trailing whitespace")
        if not isinstance(note, str) or len(note.strip()) < 5:
            err(f"line {i}: note missing/too short")
        if lvl is not None and lvl not in LEVELS:
            err(f"line {i}: bad expect_level {lvl!r}")
        if ent is not None and ent not in IDS:
            err(f"line {i}: unknown expect_entry {ent!r}")
        if lvl is not None and ent is not None:
            err(f"line {i}: both expect_level and expect_entry set")
        rows.append((i, obj))

if len(rows) != TOTAL:
    err(f"expected {TOTAL} rows, got {len(rows)}")

counts = collections.Counter()
vign = collections.Counter()
ids = collections.Counter()
for i, o in rows:
    lvl, ent = o["expect_level"], o["expect_entry"]
    cat = lvl if lvl else ("admin" if ent else "null")
    counts[cat] += 1
    if ent:
        ids[ent] += 1
    if "clinical vignette" in o["note"].lower():
        if lvl not in VIGNETTE_RANGE:
            err(f"line {i}: vignette marked on non emergency/urgent row")
        vign[lvl] += 1

for cat, n in EXPECTED.items():
    if counts[cat] != n:
        err(f"count {cat}: expected {n}, got {counts[cat]}")
for lvl, (lo, hi) in VIGNETTE_RANGE.items():
    if not lo <= vign[lvl] <= hi:
        err(f"vignettes {lvl}: expected {lo}-{hi}, got {vign[lvl]}")
if len(ids) < MIN_DISTINCT_IDS:
    err(f"distinct FAQ ids: expected >= {MIN_DISTINCT_IDS}, got {len(ids)}")

# duplicates / near-duplicates
seen = {}
normed = []
for i, o in rows:
    n = norm(o["text"])
    if n in seen:
        err(f"line {i}: exact duplicate of line {seen[n]}")
    seen[n] = i
    normed.append((i, n, set(n.split())))
for a in range(len(normed)):
    ia, na, sa = normed[a]
    for b in range(a + 1, len(normed)):
        ib, nb, sb = normed[b]
        jac = len(sa & sb) / max(1, len(sa | sb))
        if jac >= NEAR_DUP_JACCARD:
            err(f"lines {ia},{ib}: near-duplicate (token Jaccard {jac:.2f})")
            continue
        sm = difflib.SequenceMatcher(None, na, nb, autojunk=False)
        if sm.real_quick_ratio() >= NEAR_DUP_RATIO and sm.quick_ratio() >= NEAR_DUP_RATIO \
                and sm.ratio() >= NEAR_DUP_RATIO:
            err(f"lines {ia},{ib}: near-duplicate (char ratio {sm.ratio():.2f})")

summary = (f"rows={len(rows)} emergency={counts['emergency']} (vignettes {vign['emergency']}) "
           f"urgent={counts['urgent']} (vignettes {vign['urgent']}) routine={counts['routine']} "
           f"self_care={counts['self_care']} admin={counts['admin']} ({len(ids)} distinct ids) "
           f"null={counts['null']}")
if errors:
    print("FAIL")
    for e in errors:
        print("  -", e)
    print(summary)
    sys.exit(1)
print("PASS " + summary)
sys.exit(0)
