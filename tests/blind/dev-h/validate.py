#!/usr/bin/env python3
"""Validate messages.jsonl: schema, labels, counts, FAQ ids, duplicates.
Exit 0 on pass, 1 on failure. Usage: python3 validate.py [path]"""
import json, os, re, sys
from collections import Counter
from difflib import SequenceMatcher

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "messages.jsonl")

LEVELS = {"emergency", "urgent", "routine", "self_care"}
IDS = set("""about-carebot accessibility after-hours-care billing-questions blood-tests
book-appointment cancel-reschedule childhood-vaccines choose-doctor contact-details covid-vaccine
flu-vaccine forms-sick-notes greeting holiday-hours identifiers-in-chat insurance-accepted
interpreters location-directions medical-records missed-appointment new-patient-registration
opening-hours parking payment-options portal-not-working portal-password portal-signup
prescription-ready prescriptions-in-chat privacy-delete-data privacy-what-stored referrals
repeat-prescription same-day-appointment self-pay talk-to-someone telehealth test-results-how-long
test-results-in-chat test-results-where travel-vaccines what-to-bring""".split())
EXPECTED = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
TOTAL = 360
VIGNETTE_TARGET = {"emergency": (26, 3), "urgent": (14, 3)}  # (about, tolerance)
MIN_DISTINCT_IDS = 35
NEAR_DUP_RATIO = 0.85
NEAR_DUP_JACCARD = 0.75

errors = []
def err(msg): errors.append(msg)

def norm(t):
    t = t.lower().replace("´", "'").replace("`", "'").replace("’", "'")
    t = re.sub(r"[^a-z0-9 ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()

rows = []
with open(PATH, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        if not line.strip():
            err(f"line {n}: blank line"); continue
        try:
            o = json.loads(line)
        except Exception as e:
            err(f"line {n}: invalid JSON: {e}"); continue
        if not isinstance(o, dict):
            err(f"line {n}: not an object"); continue
        keys = set(o)
        if keys != {"text", "expect_level", "expect_entry", "note"}:
            err(f"line {n}: keys {sorted(keys)}"); continue
        t, lv, en, no = o["text"], o["expect_level"], o["expect_entry"], o["note"]
        if not isinstance(t, str) or not t.strip(): err(f"line {n}: empty/non-string text")
        if not isinstance(no, str) or not no.strip(): err(f"line {n}: empty/non-string note")
        if lv is not None and lv not in LEVELS: err(f"line {n}: bad expect_level {lv!r}")
        if en is not None and en not in IDS: err(f"line {n}: unknown expect_entry {en!r}")
        if lv is not None and en is not None: err(f"line {n}: both level and entry set")
        is_vig = isinstance(no, str) and "clinical vignette" in no.lower()
        if is_vig and lv not in ("emergency", "urgent"):
            err(f"line {n}: vignette marked on level {lv!r}")
        rows.append((n, o, is_vig))

def cat(o):
    if o["expect_level"]: return o["expect_level"]
    return "admin" if o["expect_entry"] else "null"

counts = Counter(cat(o) for _, o, _ in rows)
vig = Counter(o["expect_level"] for _, o, v in rows if v)
ids = Counter(o["expect_entry"] for _, o, _ in rows if o["expect_entry"])
borderline = sum(1 for _, o, _ in rows if "chose safer" in o["note"].lower())

if len(rows) != TOTAL: err(f"total {len(rows)} != {TOTAL}")
for k, v in EXPECTED.items():
    if counts.get(k, 0) != v: err(f"count {k}: {counts.get(k, 0)} != {v}")
for lv, (target, tol) in VIGNETTE_TARGET.items():
    if abs(vig.get(lv, 0) - target) > tol:
        err(f"vignettes {lv}: {vig.get(lv, 0)} not about {target}")
if len(ids) < MIN_DISTINCT_IDS: err(f"distinct FAQ ids {len(ids)} < {MIN_DISTINCT_IDS}")

# duplicates and near-duplicates
normed = [(n, norm(o["text"])) for n, o, _ in rows]
seen = {}
for n, t in normed:
    if t in seen: err(f"duplicate text: lines {seen[t]} and {n}")
    else: seen[t] = n
toks = [(n, t, set(t.split())) for n, t in normed]
for i in range(len(toks)):
    for j in range(i + 1, len(toks)):
        n1, t1, s1 = toks[i]; n2, t2, s2 = toks[j]
        if t1 == t2: continue
        jac = len(s1 & s2) / max(1, len(s1 | s2))
        if jac >= NEAR_DUP_JACCARD or SequenceMatcher(None, t1, t2).ratio() >= NEAR_DUP_RATIO:
            err(f"near-duplicate: lines {n1} and {n2} (jaccard {jac:.2f})")

print(f"rows={len(rows)} " + " ".join(f"{k}={counts.get(k, 0)}" for k in EXPECTED))
print(f"vignettes: emergency={vig.get('emergency', 0)} urgent={vig.get('urgent', 0)}; "
      f"distinct_faq_ids={len(ids)}; chose_safer={borderline}")
if errors:
    print(f"FAIL ({len(errors)} problems):")
    for e in errors[:50]: print("  " + e)
    sys.exit(1)
print("PASS")
sys.exit(0)
