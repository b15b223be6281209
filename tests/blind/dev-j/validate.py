#!/usr/bin/env python3
"""Validate messages.jsonl of the dev-j blind evaluation set.

Checks: JSON schema, label values, FAQ id list, exclusivity of level/entry,
exact category counts, vignette counts, distinct FAQ ids, exact and
near-duplicate texts. Exit 0 on pass, 1 on failure.
Usage: python3 validate.py [path/to/messages.jsonl]
"""
import json
import re
import sys
from collections import Counter
from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path

LEVELS = {"emergency", "urgent", "routine", "self_care"}
FAQ_IDS = set("""
about-carebot accessibility after-hours-care billing-questions blood-tests
book-appointment cancel-reschedule childhood-vaccines choose-doctor
contact-details covid-vaccine flu-vaccine forms-sick-notes greeting
holiday-hours identifiers-in-chat insurance-accepted interpreters
location-directions medical-records missed-appointment
new-patient-registration opening-hours parking payment-options
portal-not-working portal-password portal-signup prescription-ready
prescriptions-in-chat privacy-delete-data privacy-what-stored referrals
repeat-prescription same-day-appointment self-pay talk-to-someone telehealth
test-results-how-long test-results-in-chat test-results-where
travel-vaccines what-to-bring
""".split())
KEYS = {"text", "expect_level", "expect_entry", "note"}
EXPECTED = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40,
            "admin": 55, "null": 30}
TOTAL = 360
VIGNETTE_RANGE = {"emergency": (22, 30), "urgent": (10, 18)}  # "about 26" / "about 14"
MIN_DISTINCT_IDS = 35
JACCARD_MAX = 0.7      # word-set Jaccard above this = near-duplicate
SEQ_RATIO_MAX = 0.85   # character SequenceMatcher ratio above this = near-duplicate


def norm(s):
    s = s.lower().replace("\u00b4", "'").replace("`", "'").replace("\u2019", "'")
    return re.sub(r"\s+", " ", re.sub(r"[^\w' ]+", " ", s)).strip()


def category(r):
    if r["expect_level"] is not None:
        return r["expect_level"]
    return "admin" if r["expect_entry"] is not None else "null"


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("messages.jsonl")
    errors = []
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            errors.append(f"line {i}: blank line")
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {i}: invalid JSON ({e})")
            continue
        if not isinstance(r, dict) or set(r) != KEYS:
            errors.append(f"line {i}: keys must be exactly {sorted(KEYS)}, got {sorted(r) if isinstance(r, dict) else type(r)}")
            continue
        if not isinstance(r["text"], str) or not r["text"].strip():
            errors.append(f"line {i}: text must be a non-empty string")
        if not isinstance(r["note"], str) or not r["note"].strip():
            errors.append(f"line {i}: note must be a non-empty string")
        lvl, ent = r["expect_level"], r["expect_entry"]
        if lvl is not None and lvl not in LEVELS:
            errors.append(f"line {i}: bad expect_level {lvl!r}")
        if ent is not None and ent not in FAQ_IDS:
            errors.append(f"line {i}: unknown expect_entry {ent!r}")
        if lvl is not None and ent is not None:
            errors.append(f"line {i}: both expect_level and expect_entry set")
        vig = "clinical vignette" in r["note"].lower()
        if vig and lvl is None:
            errors.append(f"line {i}: vignette marked on a non-triage line")
        r["_line"], r["_vig"] = i, vig
        rows.append(r)

    cats = Counter(category(r) for r in rows)
    if len(rows) != TOTAL:
        errors.append(f"total rows {len(rows)} != {TOTAL}")
    for c, n in EXPECTED.items():
        if cats.get(c, 0) != n:
            errors.append(f"count {c}: {cats.get(c, 0)} != {n}")
    vig = Counter(r["expect_level"] for r in rows if r["_vig"])
    for c, (lo, hi) in VIGNETTE_RANGE.items():
        if not lo <= vig.get(c, 0) <= hi:
            errors.append(f"vignettes in {c}: {vig.get(c, 0)} not in [{lo},{hi}]")
    ids = Counter(r["expect_entry"] for r in rows if r["expect_entry"])
    if len(ids) < MIN_DISTINCT_IDS:
        errors.append(f"distinct FAQ ids {len(ids)} < {MIN_DISTINCT_IDS}")

    # duplicates
    normed = [norm(r["text"]) for r in rows]
    seen = {}
    for r, n in zip(rows, normed):
        if n in seen:
            errors.append(f"exact duplicate: lines {seen[n]} and {r['_line']}")
        seen.setdefault(n, r["_line"])
    words = [set(n.split()) for n in normed]
    for a, b in combinations(range(len(rows)), 2):
        wa, wb = words[a], words[b]
        jac = len(wa & wb) / max(1, len(wa | wb))
        if jac > JACCARD_MAX:
            errors.append(f"near-duplicate (jaccard {jac:.2f}): lines {rows[a]['_line']} and {rows[b]['_line']}")
            continue
        sm = SequenceMatcher(None, normed[a], normed[b])
        if sm.real_quick_ratio() > SEQ_RATIO_MAX and sm.quick_ratio() > SEQ_RATIO_MAX and sm.ratio() > SEQ_RATIO_MAX:
            errors.append(f"near-duplicate (seq {sm.ratio():.2f}): lines {rows[a]['_line']} and {rows[b]['_line']}")

    print(f"rows={len(rows)} " + " ".join(f"{c}={cats.get(c, 0)}" for c in EXPECTED)
          + f" vignettes(emergency={vig.get('emergency', 0)}, urgent={vig.get('urgent', 0)})"
          + f" distinct_faq_ids={len(ids)}"
          + f" chose_safer={sum('chose safer' in r['note'].lower() for r in rows)}")
    if errors:
        print(f"FAIL: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
