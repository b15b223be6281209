#!/usr/bin/env bash
# FAQ retrieval side by side, one table: BM25 (rank_bm25), the sentence encoder
# alone (all-MiniLM-L6-v2, carebot's own 8-bit copy of it), carebot by words
# only and carebot with its semantic layer.
#
#   benchmarks/covidfaq/run.sh [DIR]
#
# DIR defaults to benchmarks/covidfaq (benchmarks/faq-para is the held-out
# paraphrase and consumer-health set). rank_bm25 runs from $FAQ_PYTHON if set,
# else from a virtualenv in target/faq-bench/venv made on first use (pip
# install rank_bm25==0.2.2, a few seconds).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
dir="${1:-benchmarks/covidfaq}"
out="target/faq-bench"
mkdir -p "$out"

python="${FAQ_PYTHON:-}"
if [ -z "$python" ]; then
    python="$out/venv/bin/python"
    if ! "$python" -c 'import rank_bm25' 2>/dev/null; then
        echo "setting up $out/venv with rank_bm25 0.2.2 ..." >&2
        python3 -m venv "$out/venv"
        "$out/venv/bin/pip" install --quiet 'rank_bm25==0.2.2'
    fi
fi

cargo build --release --quiet -p carebot --bin carebot --example covidfaq
./target/release/examples/covidfaq "$dir" > "$out/carebot.txt"
head -4 "$out/carebot.txt"
"$python" benchmarks/covidfaq/bm25.py "$dir"
tail -n +5 "$out/carebot.txt"
