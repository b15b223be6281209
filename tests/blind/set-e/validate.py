#!/usr/bin/env python3
"""Validate messages.jsonl for the blind carebot evaluation set (blind-e).

Checks: JSON per line, exact schema and types, allowed levels and FAQ ids,
no line with both a level and an entry, no duplicate texts (case/whitespace
insensitive), no empty text/note, no numbering or labels inside texts.
Prints counts by label. Exit code 0 on success, 1 on failure.
"""
import json, re, sys, collections, pathlib

HERE = pathlib.Path(__file__).resolve().parent
PATH = HERE / "messages.jsonl"
EXPECTED_LINES = 360

LEVELS = {"emergency", "urgent", "routine", "self_care"}
FAQ_IDS = {
    "about-carebot", "greeting", "accessibility", "interpreters", "book-appointment",
    "same-day-appointment", "cancel-reschedule", "missed-appointment", "choose-doctor",
    "insurance-accepted", "self-pay", "billing-questions", "payment-options",
    "contact-details", "after-hours-care", "talk-to-someone", "opening-hours",
    "holiday-hours", "portal-signup", "portal-password", "portal-not-working",
    "repeat-prescription", "prescription-ready", "prescriptions-in-chat",
    "privacy-what-stored", "privacy-delete-data", "identifiers-in-chat",
    "medical-records", "forms-sick-notes", "referrals", "new-patient-registration",
    "test-results-where", "test-results-how-long", "test-results-in-chat",
    "blood-tests", "telehealth", "flu-vaccine", "covid-vaccine", "childhood-vaccines",
    "travel-vaccines", "location-directions", "parking", "what-to-bring",
}
KEYS = {"text", "expect_level", "expect_entry", "note"}
LABEL_LEAK = re.compile(r"expect_level|expect_entry|self_care|\b(emergency|urgent|routine)\s*:", re.I)
NUMBERING = re.compile(r"^\s*(\d{1,3}[.)]|#\d+|\[\d+\])\s")


def main():
    errors = []
    counts = collections.Counter()
    entries = collections.Counter()
    seen = {}
    n = 0
    with open(PATH, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                errors.append(f"line {i}: blank line")
                continue
            n += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {i}: invalid JSON ({e})")
                continue
            if not isinstance(obj, dict):
                errors.append(f"line {i}: not an object")
                continue
            if set(obj) != KEYS:
                errors.append(f"line {i}: keys {sorted(obj)} != {sorted(KEYS)}")
                continue
            text, lvl, ent, note = obj["text"], obj["expect_level"], obj["expect_entry"], obj["note"]
            if not isinstance(text, str) or not text.strip():
                errors.append(f"line {i}: text must be a non-empty string")
                continue
            if not isinstance(note, str) or not note.strip():
                errors.append(f"line {i}: note must be a non-empty string")
            if lvl is not None and lvl not in LEVELS:
                errors.append(f"line {i}: bad expect_level {lvl!r}")
            if ent is not None and ent not in FAQ_IDS:
                errors.append(f"line {i}: bad expect_entry {ent!r}")
            if lvl is not None and ent is not None:
                errors.append(f"line {i}: has both a level and an entry")
            if NUMBERING.match(text):
                errors.append(f"line {i}: text looks numbered")
            if LABEL_LEAK.search(text):
                errors.append(f"line {i}: text appears to contain a label")
            key = " ".join(text.lower().split())
            if key in seen:
                errors.append(f"line {i}: duplicate text (first at line {seen[key]})")
            else:
                seen[key] = i
            if lvl is not None:
                counts[lvl] += 1
            elif ent is not None:
                counts["faq"] += 1
                entries[ent] += 1
            else:
                counts["both_null"] += 1
    if n != EXPECTED_LINES:
        errors.append(f"expected {EXPECTED_LINES} lines, found {n}")

    print(f"lines: {n}")
    for k in ["emergency", "urgent", "routine", "self_care", "faq", "both_null"]:
        print(f"  {k:10s} {counts[k]}")
    vign = 0
    with open(PATH, encoding="utf-8") as f:
        for line in f:
            try:
                if "clinical vignette" in json.loads(line)["note"].lower():
                    vign += 1
            except Exception:
                pass
    print(f"clinical vignettes (emergency/urgent): {vign}")
    print(f"distinct FAQ ids used: {len(entries)} of {len(FAQ_IDS)}")
    unused = sorted(FAQ_IDS - set(entries))
    if unused:
        print("  unused ids: " + ", ".join(unused))
    if errors:
        print(f"\nFAILED with {len(errors)} error(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
