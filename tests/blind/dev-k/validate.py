#!/usr/bin/env python3
"""Validate messages.jsonl for the carebot blind evaluation set (dev-k).

Checks: JSON per line, exact key set, types, label values, FAQ id list,
never both level and entry, exact category counts, vignette counts,
distinct FAQ ids, exact and near-duplicate texts. Exit 0 on pass, 1 on fail.
"""
import json
import re
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

HERE = Path(__file__).resolve().parent
PATH = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "messages.jsonl"

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
NEAR_DUP_RATIO = 0.85   # character similarity of normalised texts
NEAR_DUP_JACCARD = 0.75  # word-set overlap


def norm(s):
    s = s.lower().replace("´", "'").replace("`", "'").replace("’", "'")
    s = re.sub(r"[^a-z0-9' ]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def main():
    errors = []
    rows = []
    if not PATH.exists():
        print(f"FAIL: {PATH} not found")
        return 1
    with open(PATH, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                errors.append(f"line {i}: blank line")
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {i}: bad JSON ({e})")
                continue
            if not isinstance(r, dict) or set(r) != KEYS:
                errors.append(f"line {i}: keys must be exactly {sorted(KEYS)}")
                continue
            t, lv, en, no = r["text"], r["expect_level"], r["expect_entry"], r["note"]
            if not isinstance(t, str) or not t.strip():
                errors.append(f"line {i}: text must be a non-empty string")
            if not isinstance(no, str) or not no.strip():
                errors.append(f"line {i}: note must be a non-empty string")
            if lv is not None and lv not in LEVELS:
                errors.append(f"line {i}: bad expect_level {lv!r}")
            if en is not None and en not in IDS:
                errors.append(f"line {i}: unknown expect_entry {en!r}")
            if lv is not None and en is not None:
                errors.append(f"line {i}: both expect_level and expect_entry set")
            if isinstance(no, str) and "chose safer" in no.lower() and lv is None:
                errors.append(f"line {i}: 'chose safer' on a line without a level")
            if isinstance(no, str) and "clinical vignette" in no.lower() and lv is None:
                errors.append(f"line {i}: vignette without a level")
            rows.append((i, r))

    def cat(r):
        if r["expect_level"]:
            return r["expect_level"]
        return "admin" if r["expect_entry"] else "null"

    counts = Counter(cat(r) for _, r in rows)
    if len(rows) != TOTAL:
        errors.append(f"total rows {len(rows)} != {TOTAL}")
    for k, v in EXPECTED.items():
        if counts.get(k, 0) != v:
            errors.append(f"count {k} = {counts.get(k, 0)}, expected {v}")

    vig = Counter(cat(r) for _, r in rows if "clinical vignette" in r["note"].lower())
    for k, (lo, hi) in VIGNETTE_RANGE.items():
        if not lo <= vig.get(k, 0) <= hi:
            errors.append(f"vignettes in {k} = {vig.get(k, 0)}, expected {lo}-{hi}")

    ids = Counter(r["expect_entry"] for _, r in rows if r["expect_entry"])
    if len(ids) < MIN_DISTINCT_IDS:
        errors.append(f"distinct FAQ ids {len(ids)} < {MIN_DISTINCT_IDS}")

    # exact duplicates
    seen = {}
    for i, r in rows:
        n = norm(r["text"])
        if n in seen:
            errors.append(f"line {i}: duplicate of line {seen[n]}")
        else:
            seen[n] = i

    # near duplicates
    normed = [(i, norm(r["text"]), set(norm(r["text"]).split())) for i, r in rows]
    for a in range(len(normed)):
        ia, na, wa = normed[a]
        for b in range(a + 1, len(normed)):
            ib, nb, wb = normed[b]
            if wa and wb:
                jac = len(wa & wb) / len(wa | wb)
                if jac >= NEAR_DUP_JACCARD:
                    errors.append(f"lines {ia}/{ib}: near-duplicate (word Jaccard {jac:.2f})")
                    continue
            sm = SequenceMatcher(None, na, nb, autojunk=False)
            if sm.real_quick_ratio() >= NEAR_DUP_RATIO and sm.quick_ratio() >= NEAR_DUP_RATIO \
                    and sm.ratio() >= NEAR_DUP_RATIO:
                errors.append(f"lines {ia}/{ib}: near-duplicate (char ratio {sm.ratio():.2f})")

    print("counts:", ", ".join(f"{k}={counts.get(k, 0)}" for k in EXPECTED), f"total={len(rows)}")
    print("vignettes:", ", ".join(f"{k}={vig.get(k, 0)}" for k in VIGNETTE_RANGE),
          f"| chose safer={sum('chose safer' in r['note'].lower() for _, r in rows)}")
    print(f"distinct FAQ ids: {len(ids)} of {len(IDS)}")
    if errors:
        print(f"FAIL ({len(errors)} problems)")
        for e in errors:
            print("  -", e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
