#!/usr/bin/env python3
"""Validate messages.jsonl for the carebot blind dev set. Exit 0 on pass."""
import json, re, sys, os
from collections import Counter
from difflib import SequenceMatcher

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "messages.jsonl")
IDS = set("""about-carebot accessibility after-hours-care billing-questions blood-tests book-appointment
cancel-reschedule childhood-vaccines choose-doctor contact-details covid-vaccine flu-vaccine forms-sick-notes
greeting holiday-hours identifiers-in-chat insurance-accepted interpreters location-directions medical-records
missed-appointment new-patient-registration opening-hours parking payment-options portal-not-working
portal-password portal-signup prescription-ready prescriptions-in-chat privacy-delete-data privacy-what-stored
referrals repeat-prescription same-day-appointment self-pay talk-to-someone telehealth test-results-how-long
test-results-in-chat test-results-where travel-vaccines what-to-bring""".split())
LEVELS = {"emergency", "urgent", "routine", "self_care"}
WANT = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40, "admin": 55, "null": 30}
VIG_RANGE = {"emergency": (22, 30), "urgent": (11, 17)}  # "about 26" / "about 14"

errs = []
rows = []
with open(PATH, encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        if not line.strip():
            errs.append(f"line {i}: blank line"); continue
        try:
            o = json.loads(line)
        except Exception as e:
            errs.append(f"line {i}: bad JSON {e}"); continue
        if set(o) != {"text", "expect_level", "expect_entry", "note"}:
            errs.append(f"line {i}: keys {sorted(o)}")
        t, lv, en, nt = o.get("text"), o.get("expect_level"), o.get("expect_entry"), o.get("note")
        if not isinstance(t, str) or not t.strip(): errs.append(f"line {i}: empty text")
        if not isinstance(nt, str) or not nt.strip(): errs.append(f"line {i}: empty note")
        if lv is not None and lv not in LEVELS: errs.append(f"line {i}: bad level {lv!r}")
        if en is not None and en not in IDS: errs.append(f"line {i}: bad entry {en!r}")
        if lv is not None and en is not None: errs.append(f"line {i}: both level and entry set")
        rows.append((i, o))

cat = Counter()
vig = Counter()
for i, o in rows:
    lv, en = o["expect_level"], o["expect_entry"]
    k = lv if lv else ("admin" if en else "null")
    cat[k] += 1
    if "Clinical vignette" in (o["note"] or ""):
        if k not in VIG_RANGE: errs.append(f"line {i}: vignette marked on {k}")
        vig[k] += 1

if len(rows) != 360: errs.append(f"total {len(rows)} != 360")
for k, n in WANT.items():
    if cat[k] != n: errs.append(f"count {k}: {cat[k]} != {n}")
for k, (lo, hi) in VIG_RANGE.items():
    if not lo <= vig[k] <= hi: errs.append(f"vignettes {k}: {vig[k]} not in [{lo},{hi}]")
ids_used = Counter(o["expect_entry"] for _, o in rows if o["expect_entry"])
if len(ids_used) < 35: errs.append(f"distinct ids {len(ids_used)} < 35")

def norm(s):
    return re.sub(r"[^a-z0-9 ]+", "", re.sub(r"\s+", " ", s.lower())).strip()
seen = {}
for i, o in rows:
    n = norm(o["text"])
    if n in seen: errs.append(f"line {i}: duplicate of line {seen[n]}")
    seen[n] = i
texts = [(i, norm(o["text"]), set(norm(o["text"]).split())) for i, o in rows]
for a in range(len(texts)):
    ia, na, sa = texts[a]
    for b in range(a + 1, len(texts)):
        ib, nb, sb = texts[b]
        jac = len(sa & sb) / max(1, len(sa | sb))
        if jac >= 0.7 or (jac >= 0.4 and SequenceMatcher(None, na, nb).ratio() >= 0.85):
            errs.append(f"near-duplicate: lines {ia} and {ib} (jaccard {jac:.2f})")

print("counts:", ", ".join(f"{k}={cat[k]}" for k in WANT), f"| total={len(rows)}",
      f"| vignettes emergency={vig['emergency']} urgent={vig['urgent']}", f"| distinct ids={len(ids_used)}")
if errs:
    print("FAIL"); [print(" -", e) for e in errs]; sys.exit(1)
print("PASS"); sys.exit(0)
