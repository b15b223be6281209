#!/usr/bin/env bash
# Negation detection on the NegEx test set: carebot (examples/negex.rs) and
# medspaCy's ConText (medspacy_context.py) on the same file, one table.
#
#   benchmarks/negex/run.sh [FILE]
#
# FILE defaults to benchmarks/negex/Annotations-1-120.txt. Predictions and
# summaries are left in target/negex/. medspaCy runs from $NEGEX_PYTHON if set,
# else from a virtualenv in target/negex/venv, made on first use with pip
# (medspacy 1.3.1, which brings spaCy 3.7; about 40 s and 300 MB).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
file="${1:-benchmarks/negex/Annotations-1-120.txt}"
out="target/negex"
mkdir -p "$out"

# carebot
cargo build --release --quiet --example negex
./target/release/examples/negex "$file" \
    --predictions "$out/carebot.jsonl" --summary-json "$out/carebot.json" 2>"$out/carebot.log"

# medspaCy
python="${NEGEX_PYTHON:-}"
if [ -z "$python" ]; then
    python="$out/venv/bin/python"
    if ! "$python" -c 'import medspacy' 2>/dev/null; then
        echo "setting up $out/venv with medspacy 1.3.1 ..." >&2
        python3 -m venv "$out/venv"
        "$out/venv/bin/pip" install --quiet 'medspacy==1.3.1'
    fi
fi
"$python" benchmarks/negex/medspacy_context.py "$file" \
    --predictions "$out/medspacy.jsonl" --summary-json "$out/medspacy.json" 2>"$out/medspacy.log"

python3 - "$file" "$out/carebot.json" "$out/medspacy.json" <<'EOF'
import json, sys
file, *paths = sys.argv[1:]
rows = [json.load(open(p)) for p in paths]
print(f"NegEx test set: {file} ({rows[0]['pairs']} pairs, {rows[0]['gold_negated']} negated)")
print()
print(f"| {'system':<24} | {'negation accuracy':>17} | {'negated P':>9} | {'negated R':>9} | {'negated F1':>10} | {'not found':>9} |")
print(f"|{'-' * 26}|{'-' * 18}:|{'-' * 10}:|{'-' * 10}:|{'-' * 11}:|{'-' * 10}:|")
for r in rows:
    print(f"| {r['system']:<24} | {r['accuracy']:>17.3f} | {r['precision']:>9.3f} | {r['recall']:>9.3f}"
          f" | {r['f1']:>10.3f} | {r['not_found']:>9} |")
print()
for r in rows:
    print(f"{r['system']}: TP {r['true_positives']} FP {r['false_positives']} FN {r['false_negatives']}"
          f" TN {r['true_negatives']}; target found as annotated {r['found_as_annotated']},"
          f" only by a prefix of the concept {r['found_by_prefix']}")
EOF
