#!/usr/bin/env python3
"""Assemble blind set dev-o from the hand-written data files and write messages.jsonl.

All message texts and labels live in data_emergency.py, data_urgent.py and data_other.py;
this script only attaches labels, tidies notes, shuffles with a fixed seed and writes JSONL.
"""
import json
import random
from pathlib import Path

from data_emergency import EMERGENCY, EMERGENCY_VIGNETTES
from data_urgent import URGENT, URGENT_VIGNETTES
from data_other import ROUTINE, SELF_CARE, NULL, ADMIN

SEED = 20241206
OUT = Path(__file__).with_name("messages.jsonl")

GUIDELINE_WORDS = ("NICE", "NHS", "AHA", "ASA", "ACOG", "RCOG", "CDC", "ADA", "Ottawa", "BTS",
                   "SIGN", "Resuscitation", "SAMHSA", "AAP", "ASPCA", "NIH", "Epilepsy", "Red Cross",
                   "HIPAA", "FSRH", "BASHH", "BOAST", "SDCEP", "ENT UK", "Poison", "TOXBASE",
                   "NASPGHAN", "ACS", "UKHSA", "BSSH", "British Burn", "RCOphth", "Canadian")

PRIVACY_IDS = {"identifiers-in-chat", "privacy-delete-data", "privacy-what-stored",
               "test-results-in-chat", "prescriptions-in-chat", "medical-records"}


def level_rows(rows, level):
    return [{"text": t, "expect_level": level, "expect_entry": None, "note": n} for t, n in rows]


def null_note(n):
    if not any(w in n for w in GUIDELINE_WORDS):
        n = n.rstrip(".") + "; no current symptom, so no triage guideline (NHS 111 / NICE) is triggered."
    return n


ADMIN_REFS = {
    "childhood-vaccines": "CDC / NHS routine immunisation schedule",
    "travel-vaccines": "CDC Yellow Book / NHS travel vaccination",
    "flu-vaccine": "CDC ACIP seasonal influenza recommendations",
    "covid-vaccine": "CDC COVID-19 vaccine recommendations",
    "accessibility": "Americans with Disabilities Act",
    "interpreters": "ACA Section 1557 language access",
    "after-hours-care": "NHS 111 / 911 for emergencies",
}


def admin_note(entry, n):
    if entry in ADMIN_REFS:
        return f"{n} Admin FAQ, no symptom described; background reference: {ADMIN_REFS[entry]}."
    if entry in PRIVACY_IDS:
        return f"{n} Admin FAQ; HIPAA privacy rule: identifiers, results and prescriptions go through the portal, not chat."
    return f"{n} Admin FAQ, no symptom described, so no triage guideline applies."


def main():
    rows = []
    rows += level_rows(EMERGENCY + EMERGENCY_VIGNETTES, "emergency")
    rows += level_rows(URGENT + URGENT_VIGNETTES, "urgent")
    rows += level_rows(ROUTINE, "routine")
    rows += level_rows(SELF_CARE, "self_care")
    rows += [{"text": t, "expect_level": None, "expect_entry": None, "note": null_note(n)} for t, n in NULL]
    rows += [{"text": t, "expect_level": None, "expect_entry": e, "note": admin_note(e, n)} for t, e, n in ADMIN]
    random.Random(SEED).shuffle(rows)
    with OUT.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
