"""medspaCy's ConText on the NegEx test set, scored like examples/negex.rs.

Usage:
    python medspacy_context.py FILE [--predictions FILE.jsonl] [--summary-json FILE.json]

Pipeline: ``medspacy.load()`` as shipped (a blank spaCy 'en' model, medspaCy's
tokenizer, PyRuSH sentence splitter and ConText with its default English rules,
read from the installed package; nothing is downloaded). For every
(sentence, concept) pair, the concept is marked as the target with a
TargetMatcher holding one TargetRule: the concept's lower-cased tokens, with
any white space allowed between them,
and the pair is "negated" when ConText sets ``is_negated`` on the target
(on every matched span, if the concept occurs more than once: an affirmed
mention wins, as in carebot's ``context_of``).

Concept lookup, in the same order as examples/negex.rs (the summary counts
each): the concept as annotated (white space collapsed); with punctuation
turned into spaces; the longest prefix of the concept's tokens that is found.
Targets still not found are "not_found", counted as affirmed.

Per-pair predictions are JSON lines, as in examples/negex.rs; the summary goes
to stderr, and to ``--summary-json`` as JSON.
"""

import argparse
import csv
import json
import re
import sys

import medspacy
from loguru import logger
from medspacy.target_matcher import TargetMatcher, TargetRule

# PyRuSH logs every sentence at DEBUG level through loguru.
logger.remove()
logger.add(sys.stderr, level="WARNING")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--predictions")
    parser.add_argument("--summary-json")
    return parser.parse_args()


def read_pairs(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    for row_number, row in enumerate(rows[1:], start=1):
        row = [field.strip() for field in row] + [""] * (4 - len(row))
        report, concept, sentence, status = row[:4]
        if status not in ("Negated", "Affirmed"):
            raise SystemExit(f"row {row_number}: unknown negation status {status!r}")
        yield row_number, report, concept, sentence, status == "Negated"


class ConTextRunner:
    def __init__(self):
        # Default medspaCy pipeline: tokenizer, PyRuSH sentences, target matcher, ConText.
        self.nlp = medspacy.load()
        names = self.nlp.pipe_names
        # Everything up to (not including) the shared target matcher: tokens and sentences.
        self.before_targets = [
            self.nlp.get_pipe(name)
            for name in names[: names.index("medspacy_target_matcher")]
        ]
        self.context = self.nlp.get_pipe("medspacy_context")

    def prepare(self, sentence):
        doc = self.nlp.make_doc(sentence)
        for component in self.before_targets:
            doc = component(doc)
        return doc

    def targets(self, doc, literal):
        # The literal's lower-cased tokens, with any run of white space allowed
        # between them: the sentences keep the reports' irregular spacing
        # ("staph   bacteremia"), which spaCy keeps as white-space tokens.
        words = [t.lower_ for t in self.nlp.make_doc(literal) if not t.is_space]
        pattern = []
        for word in words:
            if pattern:
                pattern.append({"IS_SPACE": True, "OP": "*"})
            pattern.append({"LOWER": word})
        matcher = TargetMatcher(self.nlp, result_type=None)
        matcher.add([TargetRule(literal, "TARGET", pattern=pattern)])
        return matcher(doc)

    def lookup(self, sentence, concept):
        """Returns (context label or None, lookup kind, prefix looked up or None)."""
        collapsed = " ".join(concept.split())
        stripped = " ".join(re.sub(r"[^\w]|_", " ", concept).split())
        attempts = [(collapsed, "as_annotated")]
        if stripped and stripped != collapsed:
            attempts.append((stripped, "punctuation_stripped"))
        tokens = [t for t in self.nlp.make_doc(collapsed) if not t.is_space]
        for n in range(len(tokens) - 1, 0, -1):
            prefix = tokens[0].doc[tokens[0].i : tokens[n - 1].i + 1].text
            attempts.append((prefix, "prefix"))
        for literal, kind in attempts:
            doc = self.prepare(sentence)
            spans = self.targets(doc, literal)
            if not spans:
                continue
            doc.ents = spans
            doc = self.context(doc)
            labels = [self.label(ent) for ent in doc.ents]
            label = "affirmed" if "affirmed" in labels else labels[0]
            return label, kind, literal if kind == "prefix" else None
        return None, "not_found", None

    @staticmethod
    def label(ent):
        if ent._.is_negated:
            return "negated"
        if ent._.is_historical:
            return "historical"
        if ent._.is_hypothetical:
            return "hypothetical"
        if ent._.is_uncertain:
            return "uncertain"
        if ent._.is_family:
            return "family"
        return "affirmed"


def main():
    args = parse_args()
    runner = ConTextRunner()
    out = open(args.predictions, "w", encoding="utf-8") if args.predictions else sys.stdout
    counts = dict.fromkeys(
        [
            "pairs", "gold_negated", "true_positives", "false_positives",
            "false_negatives", "true_negatives", "not_found", "found_as_annotated",
            "found_after_punctuation_stripped", "found_by_prefix", "historical",
            "hypothetical", "uncertain", "family",
        ],
        0,
    )
    lookup_counter = {
        "as_annotated": "found_as_annotated",
        "punctuation_stripped": "found_after_punctuation_stripped",
        "prefix": "found_by_prefix",
        "not_found": "not_found",
    }
    for row_number, report, concept, sentence, gold_negated in read_pairs(args.file):
        label, kind, prefix = runner.lookup(sentence, concept)
        predicted = "not_found" if label is None else ("negated" if label == "negated" else "affirmed")
        predicted_negated = predicted == "negated"
        counts["pairs"] += 1
        counts["gold_negated"] += gold_negated
        counts[lookup_counter[kind]] += 1
        if label in ("historical", "hypothetical", "uncertain", "family"):
            counts[label] += 1
        key = {
            (True, True): "true_positives",
            (False, True): "false_positives",
            (True, False): "false_negatives",
            (False, False): "true_negatives",
        }[(gold_negated, predicted_negated)]
        counts[key] += 1
        line = {
            "id": row_number,
            "report": report,
            "concept": concept,
            "gold": "negated" if gold_negated else "affirmed",
            "predicted": predicted,
            "context": label or "not_found",
            "lookup": kind,
        }
        if prefix is not None:
            line["target"] = prefix
        out.write(json.dumps(line) + "\n")
    if out is not sys.stdout:
        out.close()

    c = counts
    accuracy = (c["true_positives"] + c["true_negatives"]) / c["pairs"] if c["pairs"] else 0.0
    flagged = c["true_positives"] + c["false_positives"]
    precision = c["true_positives"] / flagged if flagged else 0.0
    gold = c["true_positives"] + c["false_negatives"]
    recall = c["true_positives"] / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    summary = {
        "system": f"medspaCy {medspacy.__version__} ConText",
        **c,
        "accuracy": accuracy,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    print(
        f"medspaCy ConText on {args.file}: {c['pairs']} pairs ({c['gold_negated']} negated)\n"
        f"  negation accuracy {accuracy:.3f}\n"
        f"  negated precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}"
        f"  (TP {c['true_positives']} FP {c['false_positives']}"
        f" FN {c['false_negatives']} TN {c['true_negatives']})\n"
        f"  not found {c['not_found']} (counted as affirmed)\n"
        f"  found as annotated {c['found_as_annotated']}, after stripping punctuation"
        f" {c['found_after_punctuation_stripped']}, by a prefix of the concept {c['found_by_prefix']}\n"
        f"  historical {c['historical']}, hypothetical {c['hypothetical']},"
        f" uncertain {c['uncertain']}, family {c['family']} (counted as not negated)",
        file=sys.stderr,
    )
    if args.summary_json:
        with open(args.summary_json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
