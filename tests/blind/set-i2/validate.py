#!/usr/bin/env python3
"""Validate messages.jsonl for the blind carebot evaluation set. Exit 0 on pass."""
import json, re, sys, os
from collections import Counter
from difflib import SequenceMatcher

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "messages.jsonl")
LEVELS = {"emergency", "urgent", "routine", "self_care"}
IDS = set("""about-carebot accessibility after-hours-care billing-questions blood-tests book-appointment
cancel-reschedule childhood-vaccines choose-doctor contact-details covid-vaccine flu-vaccine forms-sick-notes
greeting holiday-hours identifiers-in-chat insurance-accepted interpreters location-directions medical-records
missed-appointment new-patient-registration opening-hours parking payment-options portal-not-working
portal-password portal-signup prescription-ready prescriptions-in-chat privacy-delete-data privacy-what-stored
referrals repeat-prescription same-day-appointment self-pay talk-to-someone telehealth test-results-how-long
test-results-in-chat test-results-where travel-vaccines what-to-bring""".split())
TARGET = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
VIGNETTES = {"emergency": (22, 30), "urgent": (11, 17)}
MIN_IDS = 35

errors = []
rows = []
with open(PATH, encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        if not line.strip():
            errors.append(f"line {i}: blank line"); continue
        try:
            o = json.loads(line)
        except Exception as e:
            errors.append(f"line {i}: bad JSON {e}"); continue
        if set(o) != {"text", "expect_level", "expect_entry", "note"}:
            errors.append(f"line {i}: keys {sorted(o)}")
            continue
        t, lv, en, nt = o["text"], o["expect_level"], o["expect_entry"], o["note"]
        if not isinstance(t, str) or not t.strip():
            errors.append(f"line {i}: empty text")
        if not isinstance(nt, str) or not nt.strip():
            errors.append(f"line {i}: empty note")
        if lv is not None and lv not in LEVELS:
            errors.append(f"line {i}: bad level {lv!r}")
        if en is not None and en not in IDS:
            errors.append(f"line {i}: bad entry {en!r}")
        if lv is not None and en is not None:
            errors.append(f"line {i}: both level and entry set")
        rows.append((i, o))

def cat(o):
    if o["expect_level"]:
        return o["expect_level"]
    return "admin" if o["expect_entry"] else "null"

counts = Counter(cat(o) for _, o in rows)
if len(rows) != 360:
    errors.append(f"total {len(rows)} != 360")
for k, v in TARGET.items():
    if counts[k] != v:
        errors.append(f"count {k}: {counts[k]} != {v}")

vig = Counter(cat(o) for _, o in rows if "clinical vignette" in o["note"].lower())
for k, (lo, hi) in VIGNETTES.items():
    if not lo <= vig[k] <= hi:
        errors.append(f"vignettes {k}: {vig[k]} not in [{lo},{hi}]")
for k in vig:
    if k not in VIGNETTES:
        errors.append(f"vignette marked in category {k}")

ids_used = Counter(o["expect_entry"] for _, o in rows if o["expect_entry"])
if len(ids_used) < MIN_IDS:
    errors.append(f"distinct ids {len(ids_used)} < {MIN_IDS}")

def norm(s):
    return re.sub(r"[^a-z0-9 ]+", "", re.sub(r"\s+", " ", s.lower())).strip()

seen = {}
normed = []
for i, o in rows:
    n = norm(o["text"])
    if n in seen:
        errors.append(f"line {i}: duplicate of line {seen[n]}")
    seen[n] = i
    normed.append((i, n))
for a in range(len(normed)):
    for b in range(a + 1, len(normed)):
        ia, na = normed[a]; ib, nb = normed[b]
        if min(len(na), len(nb)) < 12:
            continue
        r = SequenceMatcher(None, na, nb).ratio()
        if r > 0.85:
            errors.append(f"near-duplicate lines {ia} and {ib} (ratio {r:.2f})")

summary = ", ".join(f"{k} {counts[k]}" for k in TARGET)
print(f"total {len(rows)}: {summary}; vignettes emergency {vig['emergency']}, urgent {vig['urgent']}; "
      f"distinct FAQ ids {len(ids_used)}; chose safer {sum('chose safer' in o['note'].lower() for _, o in rows)}")
if errors:
    print("FAIL")
    for e in errors:
        print(" -", e)
    sys.exit(1)
print("PASS")
