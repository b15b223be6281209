#!/usr/bin/env python3
"""Validate /work/blind-g/messages.jsonl (blind carebot evaluation set).
Exit 0 on pass, 1 on failure. Prints counts."""
import json, os, re, sys, difflib
from collections import Counter

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "messages.jsonl")
KEYS = {"text", "expect_level", "expect_entry", "note"}
LEVELS = {"emergency", "urgent", "routine", "self_care"}
IDS = set("""about-carebot accessibility after-hours-care billing-questions blood-tests
book-appointment cancel-reschedule childhood-vaccines choose-doctor contact-details covid-vaccine
flu-vaccine forms-sick-notes greeting holiday-hours identifiers-in-chat insurance-accepted
interpreters location-directions medical-records missed-appointment new-patient-registration
opening-hours parking payment-options portal-not-working portal-password portal-signup
prescription-ready prescriptions-in-chat privacy-delete-data privacy-what-stored referrals
repeat-prescription same-day-appointment self-pay talk-to-someone telehealth
test-results-how-long test-results-in-chat test-results-where travel-vaccines what-to-bring""".split())
EXPECT = {"emergency": 120, "urgent": 70, "routine": 45, "self_care": 40,
          "faq": 55, "null": 30}
EXPECT_TOTAL = 360
EXPECT_VIGNETTE = {"emergency": 26, "urgent": 14}
MIN_DISTINCT_IDS = 35


def norm(t):
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", t.lower())).strip()


def main():
    errors = []
    rows = []
    with open(PATH, encoding="utf-8") as f:
        raw = f.read()
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    for i, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except Exception as e:
            errors.append(f"line {i}: invalid JSON ({e})")
            continue
        if not isinstance(obj, dict) or set(obj) != KEYS:
            errors.append(f"line {i}: keys must be exactly {sorted(KEYS)}, got {sorted(obj) if isinstance(obj, dict) else type(obj)}")
            continue
        t, lv, en, no = obj["text"], obj["expect_level"], obj["expect_entry"], obj["note"]
        if not isinstance(t, str) or not t.strip():
            errors.append(f"line {i}: text must be non-empty str")
        if not isinstance(no, str) or not no.strip():
            errors.append(f"line {i}: note must be non-empty str")
        if lv is not None and lv not in LEVELS:
            errors.append(f"line {i}: bad expect_level {lv!r}")
        if en is not None and en not in IDS:
            errors.append(f"line {i}: unknown expect_entry {en!r}")
        if lv is not None and en is not None:
            errors.append(f"line {i}: both expect_level and expect_entry set")
        rows.append(obj)

    if len(lines) != EXPECT_TOTAL:
        errors.append(f"expected {EXPECT_TOTAL} lines, got {len(lines)}")

    c = Counter()
    vig = Counter()
    ids = Counter()
    for r in rows:
        if r["expect_level"]:
            c[r["expect_level"]] += 1
            if isinstance(r["note"], str) and r["note"].startswith("Clinical vignette"):
                vig[r["expect_level"]] += 1
        elif r["expect_entry"]:
            c["faq"] += 1
            ids[r["expect_entry"]] += 1
        else:
            c["null"] += 1
            if isinstance(r["note"], str) and r["note"].startswith("Clinical vignette"):
                errors.append(f"vignette note on a null line: {r['text'][:60]!r}")

    for k, v in EXPECT.items():
        if c[k] != v:
            errors.append(f"count {k}: expected {v}, got {c[k]}")
    for k, v in EXPECT_VIGNETTE.items():
        if vig[k] != v:
            errors.append(f"vignettes {k}: expected {v}, got {vig[k]}")
    for k in ("routine", "self_care"):
        if vig[k]:
            errors.append(f"vignettes should only be emergency/urgent, found {vig[k]} {k}")
    if len(ids) < MIN_DISTINCT_IDS:
        errors.append(f"distinct FAQ ids: expected >= {MIN_DISTINCT_IDS}, got {len(ids)}")

    # duplicates (exact after normalisation) -> error; near-duplicates -> warning
    seen = {}
    for r in rows:
        n = norm(r["text"])
        if n in seen:
            errors.append(f"duplicate text: {r['text']!r}")
        seen[n] = r["text"]
    keys = list(seen)
    near = []
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            if len(keys[a]) > 20 and len(keys[b]) > 20:
                if difflib.SequenceMatcher(None, keys[a], keys[b]).ratio() > 0.85:
                    near.append((seen[keys[a]], seen[keys[b]]))

    print(f"lines: {len(lines)}")
    for k in ("emergency", "urgent", "routine", "self_care", "faq", "null"):
        print(f"  {k:10s} {c[k]:4d}  (expected {EXPECT[k]})")
    print(f"  vignettes: emergency {vig['emergency']} (exp 26), urgent {vig['urgent']} (exp 14)")
    print(f"  distinct FAQ ids: {len(ids)} of {len(IDS)}")
    print(f"  notes marked 'chose safer': {sum('chose safer' in r['note'] for r in rows)}")
    for a, b in near:
        print(f"WARNING near-duplicate:\n  {a}\n  {b}")
    if errors:
        print("FAIL")
        for e in errors:
            print("  -", e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
