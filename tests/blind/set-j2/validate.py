#!/usr/bin/env python3
"""Validate messages.jsonl for blind set j2. Exit 0 on pass, 1 on failure."""
import json, re, sys, difflib, os
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "messages.jsonl")

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
EXPECTED = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
VIGNETTE_RANGE = {"emergency": (22, 30), "urgent": (10, 18)}
MIN_DISTINCT_IDS = 35
KEYS = {"text", "expect_level", "expect_entry", "note"}

errors = []
def err(msg): errors.append(msg)

def norm(t):
    t = t.lower().replace("\u00b4", "'").replace("`", "'").replace("\u2019", "'")
    t = re.sub(r"[^a-z0-9 ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()

rows = []
with open(PATH, encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        if not line.strip():
            err(f"line {i}: blank line"); continue
        try:
            o = json.loads(line)
        except Exception as e:
            err(f"line {i}: bad JSON ({e})"); continue
        if not isinstance(o, dict) or set(o) != KEYS:
            err(f"line {i}: keys must be exactly {sorted(KEYS)}"); continue
        t, lvl, ent, note = o["text"], o["expect_level"], o["expect_entry"], o["note"]
        if not isinstance(t, str) or not t.strip():
            err(f"line {i}: empty text")
        if not isinstance(note, str) or not note.strip():
            err(f"line {i}: empty note")
        if lvl is not None and lvl not in LEVELS:
            err(f"line {i}: bad level {lvl!r}")
        if ent is not None and ent not in IDS:
            err(f"line {i}: unknown entry {ent!r}")
        if lvl is not None and ent is not None:
            err(f"line {i}: both level and entry set")
        rows.append((i, o))

if len(rows) != 360:
    err(f"expected 360 rows, got {len(rows)}")

def cat(o):
    if o["expect_level"]: return o["expect_level"]
    return "admin" if o["expect_entry"] else "null"

counts = Counter(cat(o) for _, o in rows)
for k, v in EXPECTED.items():
    if counts.get(k, 0) != v:
        err(f"count {k}: expected {v}, got {counts.get(k, 0)}")

vign = Counter(cat(o) for _, o in rows if "clinical vignette" in o["note"].lower())
for k, (lo, hi) in VIGNETTE_RANGE.items():
    if not lo <= vign.get(k, 0) <= hi:
        err(f"vignettes {k}: {vign.get(k, 0)} outside [{lo},{hi}]")

ids_used = Counter(o["expect_entry"] for _, o in rows if o["expect_entry"])
if len(ids_used) < MIN_DISTINCT_IDS:
    err(f"only {len(ids_used)} distinct ids (< {MIN_DISTINCT_IDS})")

# duplicates and near-duplicates
normed = [(i, norm(o["text"])) for i, o in rows]
seen = {}
for i, n in normed:
    if n in seen:
        err(f"duplicate text: lines {seen[n]} and {i}")
    seen[n] = i
for a in range(len(normed)):
    ia, na = normed[a]
    ta = set(na.split())
    for b in range(a + 1, len(normed)):
        ib, nb = normed[b]
        tb = set(nb.split())
        jac = len(ta & tb) / max(1, len(ta | tb))
        if jac > 0.6:
            err(f"near-duplicate (jaccard {jac:.2f}): lines {ia} and {ib}")
            continue
        if abs(len(na) - len(nb)) < 0.3 * max(len(na), len(nb), 1):
            r = difflib.SequenceMatcher(None, na, nb).ratio()
            if r > 0.8 and min(len(na), len(nb)) > 15:
                err(f"near-duplicate (ratio {r:.2f}): lines {ia} and {ib}")

safer = sum(1 for _, o in rows if "chose safer" in o["note"].lower())

if errors:
    print("FAIL")
    for e in errors: print(" -", e)
    sys.exit(1)
print("PASS")
print("rows:", len(rows))
print("counts:", dict(counts))
print("vignettes:", dict(vign))
print("distinct faq ids:", len(ids_used), "| 'chose safer' notes:", safer)
sys.exit(0)
