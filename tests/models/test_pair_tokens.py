"""Context + continuation token ids from a context encoded once (`pair_tokens.encode_pairs`)
must be exactly what encoding each whole string gives (lm-eval's `_encode_pair`), for every
kind of tokenizer: byte-level BPE (GPT-2, with and without digit splitting), a Llama-3-style
regex split, sentencepiece-style Metaspace, one that appends an end token (never split when it
does), and BPE without a pre-tokenizer (never split)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from benchgate.models.pair_tokens import TAIL_CHARS, encode_pairs

CORPUS = [
    "The following are multiple choice questions (with answers) about law.\n\n",
    "A man sued his neighbour in 1999 for 12,345 dollars. Which is correct?\nA. yes\nB. no\nAnswer: B\n\n",
    "Übermäßig große Zahlen wie 3.14159 und 2718281828 — café, naïve, 中文字符, emoji 🙂🙂.\n",
    "def f(x):\n    return x ** 2  # square\n\n\n   indented   text\twith\ttabs  ",
] * 20
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def _train(pre_tokenizer, decoder=None, byte_level: bool = True, end_token: bool = False
           ) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE(unk_token=None if byte_level else "<unk>"))
    if pre_tokenizer is not None:
        tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoder or decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet() if byte_level else []
    trainer = trainers.BpeTrainer(vocab_size=400, initial_alphabet=alphabet,
                                  special_tokens=["<s>", "</s>"] + ([] if byte_level else ["<unk>"]))
    tok.train_from_iterator(CORPUS, trainer)
    if end_token:
        tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[
            ("</s>", tok.token_to_id("</s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")


def _tokenizers(smoke_path) -> dict:
    return {
        "smoke (digits + byte-level)": AutoTokenizer.from_pretrained(smoke_path),
        "gpt2 byte-level": _train(pre_tokenizers.ByteLevel(add_prefix_space=False)),
        "llama3 regex split": _train(pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])),
        "metaspace (sentencepiece-like)": _train(pre_tokenizers.Metaspace(), decoders.Metaspace(),
                                                 byte_level=False),
        "no pre-tokenizer": _train(None),
        "byte-level, end token appended": _train(pre_tokenizers.ByteLevel(add_prefix_space=False),
                                                 end_token=True),
    }


@pytest.fixture(scope="module")
def tokenizers(smoke_path):
    return _tokenizers(smoke_path)


def _full(tok, pairs, add):
    return ({c: tok(c, add_special_tokens=add)["input_ids"] for c, _ in pairs},
            {(c, k): tok(c + k, add_special_tokens=add)["input_ids"] for c, k in pairs})


_chars = st.sampled_from(list("abc XYZ.,:;!?'\"-\n\t0123456789éü中文🙂") + ["  ", "\n\n", "Answer:", " the", "'s"])
_text = st.lists(_chars, min_size=0, max_size=60).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=_text, contexts=st.lists(_text, min_size=1, max_size=3),
       continuations=st.lists(_text.filter(bool), min_size=1, max_size=3), add=st.booleans())
def test_pairs_equal_whole_string_encodings(tokenizers, header, contexts, continuations, add):
    long_header = (header + " ") * 4 + "x" * TAIL_CHARS  # contexts long enough to be split
    pairs = [(long_header + c, k) for c in contexts for k in continuations] + \
            [(c, k) for c in contexts if c for k in continuations]
    for name, tok in tokenizers.items():
        ctx, whole, _ = encode_pairs(tok, pairs, add)
        want_ctx, want_whole = _full(tok, pairs, add)
        assert ctx == want_ctx, name
        assert whole == want_whole, name


def test_byte_level_contexts_are_split_and_the_others_are_not(tokenizers):
    """The saving is real where it is safe: every long context of a tokenizer with a
    pre-tokenizer is encoded once; BPE without one, and a tokenizer whose special tokens end
    every text (encoded with them), encode each whole string."""
    head = "The following are multiple choice questions (with answers) about law.\n\n" * 3
    pairs = [(head + f"Question {i}: which is it?\nAnswer:", f" {x}") for i in range(5) for x in "ABCD"]
    for add in (False, True):
        split = {name: encode_pairs(tok, pairs, add)[2] for name, tok in tokenizers.items()}
        assert split == {"smoke (digits + byte-level)": 5, "gpt2 byte-level": 5, "llama3 regex split": 5,
                         "metaspace (sentencepiece-like)": 5, "no pre-tokenizer": 0,
                         "byte-level, end token appended": 0 if add else 5}
        for tok in tokenizers.values():
            assert encode_pairs(tok, pairs, add)[:2] == _full(tok, pairs, add)


def test_real_benchmark_prompts(smoke_path, data_dir):
    """MMLU, HellaSwag and ARC requests: identical ids, and the long contexts are split."""
    from benchgate.benchmark import RunContext
    from benchgate.engine.items import import_benchmark
    from tests.conftest import ROOT

    tok = AutoTokenizer.from_pretrained(smoke_path)
    for name, args in (("mmlu", {}), ("hellaswag", {}), ("arc", {"few_shot_num": 25})):
        bench = import_benchmark(ROOT / "evals" / f"{name}.py")
        ctx = RunContext(dataset_dir=data_dir, dataset_hub="local", args=bench.effective_args(args))
        samples = bench.load(ctx, bench.subsets(ctx)[0])[:20]
        pairs = [(r.context.rstrip(), r.context[len(r.context.rstrip()):] + r.continuation)
                 for s in samples for r in bench.requests(ctx, s)]
        got_ctx, got_whole, split = encode_pairs(tok, pairs, False)
        assert (got_ctx, got_whole) == _full(tok, pairs, False), name
        assert split >= len({c for c, _ in pairs if len(c) > 4 * TAIL_CHARS}) * 0.9, name
