"""The n-gram overlap check against lm-evaluation-harness' own decontamination code
(lm_eval/decontamination/janitor.py: `Janitor.normalize_string`, `word_ngrams`) as the
independent reference, on generated texts and corpora that cross every chunk and partition
boundary; and the check's outputs on small real-data cases."""
from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lm_eval.decontamination.janitor import Janitor, word_ngrams as janitor_ngrams

from benchgate.contamination.corpus import CorpusError, find_files, partitions
from benchgate.contamination.ngram import build_index, check, flagged_ids, matched_grams
from benchgate.contamination.normalize import normalize_bytes, word_ngrams
from benchgate.contamination.samples import SampleTexts
from benchgate.contamination.scan import Probe, scan

JANITOR = Janitor()

# words with case, ASCII punctuation (deleted), non-ASCII letters and punctuation (kept)
WORDS = ["the", "The", "cat", "CAT!", "sat,", "on", "a", "mat.", "don't", "dón't", "Ünïcode",
         "—", "x", "(x)", "...", "3.14", "$5", "日本", "e\u0301"]
# separators: ASCII and Unicode whitespace (str.split splits on all of them), and joined words
SEPARATORS = [" ", "  ", "\n", "\t", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\u00a0", "\u0085",
              "\u2003", "\u2028", "\u3000", "\u202f", "\u1680", "-", ""]

text_st = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)),
                   max_size=40).map(lambda pairs: "".join(w + s for w, s in pairs))


def reference_ngrams(text: str, n: int) -> list[str]:
    """lm-eval's n-grams of a text, in order."""
    return list(janitor_ngrams(JANITOR.normalize_string(text), n))


@given(st.one_of(text_st, st.text(max_size=200)), st.integers(1, 6))
def test_ngrams_are_lm_evals(text, n):
    assert list(word_ngrams(text, n)) == reference_ngrams(text, n)


@given(st.one_of(text_st, st.text(max_size=200)))
def test_byte_normalisation_gives_lm_evals_words(text):
    """The corpus side works on UTF-8 bytes; its words are lm-eval's words of the text."""
    data = text.encode("utf-8", "surrogatepass")
    got = [w.decode("utf-8", "surrogatepass") for w in normalize_bytes(data).split()]
    assert got == JANITOR.normalize_string(text).split()


def reference_matches(texts: list[str], docs: list[str], n: int, min_words: int) -> Counter:
    """{benchmark n-gram: occurrences in the corpus} by lm-eval's functions: the n-grams of a
    text of >= n words, the whole text of min_words..n-1 words; each document apart."""
    wanted: set[str] = set()
    for text in texts:
        tokens = JANITOR.normalize_string(text).split()
        if len(tokens) >= n:
            wanted.update(reference_ngrams(text, n))
        elif len(tokens) >= min_words:
            wanted.add(" ".join(tokens))
    counts: Counter = Counter()
    lengths = {len(w.split()) for w in wanted}
    for doc in docs:
        for k in lengths:
            counts.update(g for g in reference_ngrams(doc, k) if g in wanted)
    return counts


def _write(tmp: Path, docs: list[str], kind: str, gz: bool) -> Path:
    if kind == "txt":
        data = docs[0].encode("utf-8")
    else:
        data = "".join(json.dumps({"text": d, "id": i}) + "\n" for i, d in enumerate(docs)).encode()
    path = tmp / f"corpus.{kind}{'.gz' if gz else ''}"
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


doc_st = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)),
                  min_size=5, max_size=60).map(lambda pairs: "".join(w + s for w, s in pairs))


@st.composite
def texts_from(draw, docs: list[str]) -> list[str]:
    """Benchmark texts: pieces of the corpus documents (so that they match) or new text."""
    out = []
    for _ in range(draw(st.integers(1, 5))):
        # a piece of one document, or one across documents (it must not match in .jsonl)
        doc = draw(st.sampled_from(docs + [" ".join(docs)]))
        a = draw(st.integers(0, len(doc)))
        b = draw(st.integers(a, len(doc)))
        out.append(draw(st.one_of(st.just(doc[a:b]), text_st)))
    return out


@settings(max_examples=300)
@given(data=st.data(), docs=st.lists(doc_st, min_size=1, max_size=4),
       n=st.integers(1, 5), min_words=st.integers(1, 6), kind=st.sampled_from(["txt", "jsonl"]),
       gz=st.booleans(), chunk=st.one_of(st.integers(1, 64), st.integers(64, 2048)),
       part=st.one_of(st.integers(1, 200), st.integers(200, 4096)))
def test_scan_finds_what_lm_eval_finds(tmp_path_factory, data, docs, n, min_words, kind, gz, chunk, part):
    """Every benchmark n-gram found, with its exact number of occurrences, whatever the chunk
    and partition sizes (n-grams across chunk and partition boundaries counted once; in a
    .jsonl corpus never across records; a .txt file is one document)."""
    tmp = tmp_path_factory.mktemp("scan")
    if kind == "txt":
        docs = docs[:1]
    texts = data.draw(texts_from(docs))
    path = _write(tmp, docs, kind, gz)
    samples = [SampleTexts("b", f"b/s/{i}", {"question": t}) for i, t in enumerate(texts)]
    index, _ = build_index(samples, n, min_words)
    files, _ = find_files([path])
    result = scan(partitions(files, part), Probe.of(index), chunk_bytes=chunk)
    got = {gram: files[0] for gram, gid in index.grams.items()
           for files in [matched_grams(index, result).get(gid)] if files}
    want = reference_matches(texts, docs, n, min_words)
    assert got == {g: c for g, c in want.items()}


def test_short_texts_across_every_chunk_and_partition_size(tmp_path):
    """Texts shorter than n (checked whole) at every chunk and partition boundary: counted
    once each, as lm-eval's n-grams of the corpus count them."""
    words = "a b c a b d a b c e a b c a b".split()
    text = " ".join(words * 3)
    path = tmp_path / "c.txt"
    path.write_text(text, encoding="utf-8")
    texts = ["a b", "b c a", "a b c e", "c e a b c", "b d a b c e"]
    samples = [SampleTexts("b", f"b/s/{i}", {"question": t}) for i, t in enumerate(texts)]
    index, _ = build_index(samples, 6, 2)
    files, _ = find_files([path])
    want = reference_matches(texts, [text], 6, 2)
    for part in (3, 7, 13, 40, 1000):
        for chunk in range(1, 24):
            result = scan(partitions(files, part), Probe.of(index), chunk_bytes=chunk)
            got = {gram: f[0] for gram, gid in index.grams.items()
                   for f in [matched_grams(index, result).get(gid)] if f}
            assert got == dict(want), (part, chunk)


def test_rule_on_a_hand_made_case(tmp_path):
    """13-grams: a 15-word question has 3; two of them in the corpus -> matched 2, 2/3. An
    answer of 9 words counts whole; one of 7 words is not checked."""
    q = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    corpus = tmp_path / "c.txt"
    corpus.write_text("ONE two, three four five six seven eight nine ten eleven twelve thirteen "
                      "fourteen! and then nine words of the answer are all here now", encoding="utf-8")
    samples = [SampleTexts("b", "b/s/0", {"question": q, "answer": "nine words of the answer are all here now"}),
               SampleTexts("b", "b/s/1", {"question": "seven words of the answer are all", "answer": "x"})]
    report = check(samples, [corpus])
    entry = report["benchmarks"]["b"]
    assert entry["flagged"] == [{
        "id": "b/s/0",
        "question": {"words": 15, "ngrams": 3, "template_ngrams": 0, "matched": 2, "fraction": 2 / 3,
                     "corpus_files": [str(corpus)]},
        "answer": {"words": 9, "ngrams": 1, "template_ngrams": 0, "matched": 1, "fraction": 1.0,
                   "corpus_files": [str(corpus)]}}]
    assert entry["checked"] == {"question": 1, "answer": 1} and entry["too_short"] == {"question": 1, "answer": 1}
    # lm-eval's rule for short texts: --min-words n (texts under n words never match)
    strict = check(samples, [corpus], min_words=13)["benchmarks"]["b"]
    assert [f["id"] for f in strict["flagged"]] == ["b/s/0"] and "answer" not in strict["flagged"][0]


def test_template_text_shared_by_many_samples_does_not_flag(tmp_path):
    """Three samples open with the same 13 words; the corpus has only those words. With
    --max-shared 2 the preamble is template text (no flag); with 0 (GPT-3's plain rule) or 3
    all three are flagged."""
    preamble = "for which of these two scenarios does the main character do something wrong"
    samples = [SampleTexts("b", f"b/s/{i}", {"question": f"{preamble} scenario {i} x y"}) for i in range(3)]
    corpus = tmp_path / "c.txt"
    corpus.write_text(f"intro {preamble} outro", encoding="utf-8")
    assert flagged_ids(check(samples, [corpus], max_shared=2)) == set()
    for k in (0, 3):
        report = check(samples, [corpus], max_shared=k)
        assert flagged_ids(report) == {"b/s/0", "b/s/1", "b/s/2"}
        assert report["benchmarks"]["b"]["flagged"][0]["question"]["matched"] == 1
    assert check(samples, [corpus], max_shared=2)["benchmarks"]["b"]["checked"] == {"question": 3}


def test_workers_give_the_single_process_result(tmp_path):
    """Four processes over many partitions: the same matches and counts as one process."""
    words = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi "
             "rho sigma tau").split()
    import random

    rng = random.Random(7)
    text = " ".join(rng.choice(words) for _ in range(60_000))
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("".join(json.dumps({"text": text[i:i + 5000]}) + "\n"
                                              for i in range(0, len(text), 5000)), encoding="utf-8")
    samples = [SampleTexts("b", f"b/s/{i}", {"question": " ".join(rng.choice(words) for _ in range(14))})
               for i in range(200)]
    index, _ = build_index(samples, 3, 2)
    files, _ = find_files([tmp_path])
    parts = partitions(files, 20_000)
    assert len(parts) > 8
    one = matched_grams(index, scan(parts, Probe.of(index), chunk_bytes=4096))
    four = matched_grams(index, scan(parts, Probe.of(index), workers=4, chunk_bytes=4096))
    assert one == four and len(one) > 100


def test_corpus_errors_name_the_file(tmp_path):
    with pytest.raises(CorpusError, match="--corpus .*missing: no such file"):
        find_files([tmp_path / "missing"])
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(CorpusError, match=r"notes.md: not a corpus file"):
        find_files([tmp_path / "notes.md"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": oops}\n', encoding="utf-8")
    samples = [SampleTexts("b", "b/s/0", {"question": "a b c d e f g h"})]
    with pytest.raises(CorpusError, match=r"bad.jsonl:2: not a JSON line"):
        check(samples, [bad])
    late = tmp_path / "late.jsonl"  # in the last of many partitions: the file's line number
    late.write_text('{"text": "fine words here"}\n' * 500 + '[1, 2]\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"late.jsonl:501: expected a JSON object, got list"):
        check(samples, [late], partition_bytes=1000)
    other = tmp_path / "other.jsonl"
    other.write_text('{"content": "fine"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"other.jsonl:1: the record has no field 'text' .*--text-field"):
        check(samples, [other])
    assert flagged_ids(check(samples, [other], text_fields=("content",))) == set()
