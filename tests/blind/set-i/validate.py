#!/usr/bin/env python3
"""Validate messages.jsonl in this folder. Exit 0 on pass, 1 on failure."""
import json
import re
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
PATH = HERE / "messages.jsonl"

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

EXPECTED = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40,
            "admin": 55, "null": 30}
TOTAL = 360
MIN_DISTINCT_IDS = 35
# "about" targets for vignettes: allow a tolerance band
VIGNETTE_RANGE = {"emergency": (22, 30), "urgent": (11, 17)}
NEAR_DUP_JACCARD = 0.7


def norm(t):
    t = t.lower().replace("\u00b4", "'").replace("`", "'").replace("\u2019", "'")
    return re.sub(r"[^a-z0-9 ]+", " ", t).split()


def main():
    errors = []
    rows = []
    for n, line in enumerate(PATH.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            errors.append(f"line {n}: blank line")
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: bad JSON ({e})")
            continue
        if not isinstance(d, dict) or set(d) != {"text", "expect_level", "expect_entry", "note"}:
            errors.append(f"line {n}: keys must be exactly text, expect_level, expect_entry, note")
            continue
        if not isinstance(d["text"], str) or not d["text"].strip():
            errors.append(f"line {n}: empty text")
        if not isinstance(d["note"], str) or not d["note"].strip():
            errors.append(f"line {n}: empty note")
        lv, en = d["expect_level"], d["expect_entry"]
        if lv is not None and lv not in LEVELS:
            errors.append(f"line {n}: bad level {lv!r}")
        if en is not None and en not in IDS:
            errors.append(f"line {n}: unknown entry id {en!r}")
        if lv is not None and en is not None:
            errors.append(f"line {n}: both expect_level and expect_entry set")
        rows.append((n, d))

    cats = Counter()
    vign = Counter()
    ids = Counter()
    for n, d in rows:
        lv, en = d["expect_level"], d["expect_entry"]
        cat = lv if lv else ("admin" if en else "null")
        cats[cat] += 1
        if en:
            ids[en] += 1
        if "Clinical vignette" in d["note"]:
            if cat not in VIGNETTE_RANGE:
                errors.append(f"line {n}: vignette marked on a {cat} line")
            vign[cat] += 1

    if len(rows) != TOTAL:
        errors.append(f"expected {TOTAL} rows, got {len(rows)}")
    for k, v in EXPECTED.items():
        if cats[k] != v:
            errors.append(f"count {k}: expected {v}, got {cats[k]}")
    for k, (lo, hi) in VIGNETTE_RANGE.items():
        if not lo <= vign[k] <= hi:
            errors.append(f"vignettes {k}: {vign[k]} not in [{lo},{hi}]")
    if len(ids) < MIN_DISTINCT_IDS:
        errors.append(f"distinct entry ids {len(ids)} < {MIN_DISTINCT_IDS}")

    # duplicates and near-duplicates
    seen = {}
    toks = []
    for n, d in rows:
        key = " ".join(norm(d["text"]))
        if key in seen:
            errors.append(f"line {n}: duplicate of line {seen[key]}")
        seen[key] = n
        toks.append((n, set(norm(d["text"]))))
    for (a, ta), (b, tb) in combinations(toks, 2):
        if len(ta) < 3 or len(tb) < 3:
            continue
        j = len(ta & tb) / len(ta | tb)
        if j >= NEAR_DUP_JACCARD:
            errors.append(f"lines {a} and {b}: near-duplicate (Jaccard {j:.2f})")

    summary = (f"rows={len(rows)} " + " ".join(f"{k}={cats[k]}" for k in EXPECTED)
               + f" vignettes(emergency={vign['emergency']}, urgent={vign['urgent']})"
               + f" distinct_ids={len(ids)} chose_safer="
               + str(sum('chose safer' in d['note'] for _, d in rows)))
    if errors:
        print("FAIL")
        for e in errors:
            print("  " + e)
        print(summary)
        return 1
    print("PASS " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
