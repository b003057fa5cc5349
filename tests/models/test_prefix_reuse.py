"""Shared-prefix reuse on vs off (`prefix_cache=false`, the full forward of every row) on the real
requests of every loglikelihood benchmark and of the few-shot generation benchmarks, with the
smoke model in float32: log-likelihoods within 1e-4, identical is_greedy, argmax and scores;
greedy generations identical. Each case also checks that reuse really cut the tokens forwarded."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from benchgate.benchmark import RunContext
from benchgate.engine.items import import_benchmark
from benchgate.models.base import GenerationConfig, LoglikelihoodRequest as LL
from tests.conftest import ROOT

TOL = 1e-4
FIXTURES = ROOT / "tests" / "fixtures"

# (benchmark, dataset args, subsets -> number of samples, least factor of tokens saved)
LOGLIKELIHOOD = [
    ("mmlu", {}, {"abstract_algebra": 6}, 3.0),
    ("mmlu", {"subset_list": ["high_school_us_history"]}, {"high_school_us_history": 2}, 1.0),  # truncated
    ("ceval", {}, {"computer_network": 4}, 2.0),
    ("cmmlu", {}, {"anatomy": 4}, 2.0),
    ("arc", {}, {"ARC-Challenge": 6}, 1.3),                    # 0-shot: each question's choices
    ("arc", {"few_shot_num": 25}, {"ARC-Easy": 3}, 3.0),       # header + question: two levels
    ("hellaswag", {}, {"default": 8}, 1.5),
    ("truthful_qa", {}, {"multiple_choice": 4}, 2.0),
    ("race", {}, {"high": 3, "middle": 2}, 1.5),
]
# generation workloads whose samples share a few-shot header (GSM8K's exemplars are lm-eval's
# per-question draw, so its prompts share only "Question: ": no prefix to reuse there)
GENERATION = [("mmlu", {"mode": "generate"}, {"abstract_algebra": 2, "anatomy": 2}),
              ("bbh", {}, {"boolean_expressions": 3, "date_understanding": 2})]


def load(name: str, args: dict, subsets: dict, data_dir):
    bench = import_benchmark(ROOT / "evals" / f"{name}.py")
    folder = FIXTURES if name == "race" else data_dir
    ctx = RunContext(dataset_dir=folder, dataset_hub="local", args=bench.effective_args(args))
    available = bench.subsets(ctx)
    missing = sorted(set(subsets) - set(available))
    assert not missing, f"{name}: subsets {missing} are not in {folder} (has {available[:5]}...)"
    samples = []
    for subset, n in subsets.items():
        rows = bench.load(ctx, subset)[:n]
        assert len(rows) == n, f"{name}/{subset}: {len(rows)} samples, the case needs {n}"
        samples += rows
    return bench, ctx, samples


@pytest.fixture(scope="module")
def pair(smoke_path):
    """(reuse on, reuse off) on the smoke model, float32, batch 4, min shared prefix 16 tokens."""
    from benchgate.models.hf import HFBackend

    args = {"batch_size": 4, "dtype": "float32", "device": "cpu"}
    cfg = GenerationConfig(max_new_tokens=16)
    on = HFBackend(smoke_path, args, cfg)
    off = HFBackend(smoke_path, {**args, "prefix_cache": False}, cfg)
    assert on.prefix.enabled and not off.prefix.enabled
    assert on.prefix.shared_attention  # rows on one prefix attend to it once (shared_attention.py)
    assert on.prefix.packed  # rows on several prefixes packed without padding (idem)
    yield on, off
    on.close()
    off.close()


@pytest.mark.parametrize("name,args,subsets,saving", LOGLIKELIHOOD,
                         ids=[f"{c[0]}{'-' + str(c[1]) if c[1] else ''}" for c in LOGLIKELIHOOD])
def test_loglikelihood_reuse_equals_full_forward(pair, data_dir, name, args, subsets, saving):
    on, off = pair
    bench, ctx, samples = load(name, args, subsets, data_dir)
    per_sample = [list(bench.requests(ctx, s)) for s in samples]
    requests = [r for rs in per_sample for r in rs]
    assert requests and all(r.kind == "loglikelihood" for r in requests)
    for b in pair:
        b.stats.update(forward_tokens=0)
        b.prefix.stats.update(prefix_forward_tokens=0, packed_rows=0)
        b.prefix.clear()
    got, want = on.loglikelihood(requests), off.loglikelihood(requests)
    diff = max(abs(g.logprob - w.logprob) for g, w in zip(got, want))
    print(f"{name} {args}: {len(samples)} samples, {len(requests)} requests, max |diff| {diff:.3g}, "
          f"tokens forwarded {on.stats['forward_tokens'] + on.prefix.stats['prefix_forward_tokens']}"
          f" vs {off.stats['forward_tokens']}")
    assert diff <= TOL
    assert [g.is_greedy for g in got] == [w.is_greedy for w in want]
    k = 0
    for sample, rs in zip(samples, per_sample):
        g, w = got[k:k + len(rs)], want[k:k + len(rs)]
        k += len(rs)
        assert [x.logprob for x in g].index(max(x.logprob for x in g)) == \
               [x.logprob for x in w].index(max(x.logprob for x in w)), sample.id
        scores, reference = bench.score(ctx, sample, g).scores, bench.score(ctx, sample, w).scores
        assert scores == pytest.approx(reference, rel=1e-3, abs=1e-6), sample.id  # mc2 is continuous
        assert {k: v for k, v in scores.items() if v in (0.0, 1.0)} == \
               {k: v for k, v in reference.items() if v in (0.0, 1.0)}, sample.id
    forwarded = on.stats["forward_tokens"] + on.prefix.stats["prefix_forward_tokens"]
    assert forwarded * saving <= off.stats["forward_tokens"]


@pytest.mark.parametrize("name,subsets", [("hellaswag", {"default": 8}), ("arc", {"ARC-Challenge": 8})])
def test_choices_of_several_samples_packed_equal_full_forward(pair, smoke_path, data_dir, name, subsets):
    """Batches hold the choices of several samples (several cached prefixes): they are packed
    without padding, with the full forwards' log-likelihoods and is_greedy. A packed batch
    holds as many tokens as `batch_size` rows of the longest (`batching.by_footprint`), so
    batches of short rows hold more than `batch_size` rows."""
    from benchgate.models.hf import HFBackend

    _, off = pair
    wide = HFBackend(smoke_path, {"batch_size": 6, "dtype": "float32", "device": "cpu"})
    assert wide.prefix.enabled and wide.prefix.packed
    bench, ctx, samples = load(name, {}, subsets, data_dir)
    requests = [r for s in samples for r in bench.requests(ctx, s)]
    got, want = wide.loglikelihood(requests), off.loglikelihood(requests)
    assert wide.prefix.stats["packed_rows"] > 6 * wide.prefix.stats["packed_forwards"] > 0
    assert max(abs(g.logprob - w.logprob) for g, w in zip(got, want)) <= TOL
    assert [g.is_greedy for g in got] == [w.is_greedy for w in want]
    wide.close()


@pytest.mark.parametrize("name,args,subsets", GENERATION, ids=[c[0] for c in GENERATION])
def test_greedy_generation_identical(pair, data_dir, name, args, subsets):
    on, off = pair
    bench, ctx, samples = load(name, args, subsets, data_dir)
    requests = [r for s in samples for r in bench.requests(ctx, s)]
    on.prefix.clear()
    on.prefix.stats.update(prefix_forward_tokens=0)
    got, want = on.generate(requests), off.generate(requests)
    assert got == want
    assert len({g.text for g in got}) > 1
    assert on.prefix.stats["prefix_forward_tokens"] > 0  # a shared few-shot prefix was reused


def test_sampled_generation_reproducible_with_reuse(smoke_path, data_dir):
    from benchgate.models.hf import HFBackend

    cfg = GenerationConfig(do_sample=True, temperature=1.2, seed=3, max_new_tokens=8)
    b = HFBackend(smoke_path, {"batch_size": 2, "dtype": "float32"}, cfg)
    bench, ctx, samples = load("gsm8k", {}, {"main": 3}, data_dir)
    requests = [r for s in samples for r in bench.requests(ctx, s)]
    first = b.generate(requests)
    b.prefix.clear()
    assert b.generate(requests) == first
    b.generation = dataclasses.replace(cfg, seed=4)
    assert b.generate(requests) != first


def test_left_truncated_rows_take_the_full_forward(short_backend, smoke_path):
    """max_length 16: rows longer than that are truncated from the left; they are scored by the
    full forward (numbers equal with reuse off) while short rows still share their prefix."""
    from benchgate.models.hf import HFBackend

    off = HFBackend(smoke_path, {"batch_size": 3, "max_length": 16, "precision": "float32",
                                 "prefix_cache": False})
    short_backend.prefix.min_tokens = 2
    try:
        ctx = "Light bends when it passes from air into water, so a stick looks"
        reqs = [LL(ctx, " bent in a glass."), LL(ctx, " straight."), LL("A map has", " a scale."),
                LL("A map has", " a legend.")]
        short_backend.prefix.clear()
        assert short_backend.prefix.enabled  # runs the one-time self-check before counting
        before = short_backend.prefix.stats["prefix_forward_tokens"]
        got, want = short_backend.loglikelihood(reqs), off.loglikelihood(reqs)
        assert [g.logprob for g in got] == pytest.approx([w.logprob for w in want], abs=TOL)
        assert [g.is_greedy for g in got] == [w.is_greedy for w in want]
        # only "A map has" was a shared prefix, less its last token (whose logits score the
        # first continuation token); the truncated rows shared nothing
        assert short_backend.prefix.stats["prefix_forward_tokens"] - before == len(
            short_backend.tokenizer.encode("A map has", add_special_tokens=False)) - 1
    finally:
        short_backend.prefix.min_tokens = 16


def test_threshold_keeps_short_prefixes_in_the_full_forward(smoke_path):
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"dtype": "float32", "prefix_min_tokens": 1000})
    reqs = [LL("The following are questions about physics.\n\nWhat is 2 + 3?\nAnswer:", c)
            for c in (" five", " six and a half")]
    b.loglikelihood(reqs)
    assert b.prefix.stats["prefix_forward_tokens"] == 0 and b.stats["forward_rows"] == 2


def test_store_reuses_the_header_across_calls(pair, data_dir):
    """The predictor sends a group in several calls: the few-shot header is forwarded once."""
    on, _ = pair
    bench, ctx, samples = load("mmlu", {}, {"abstract_algebra": 6}, data_dir)
    calls = [[r for s in samples[i:i + 2] for r in bench.requests(ctx, s)] for i in (0, 2, 4)]
    on.prefix.clear()
    on.prefix.stats.update(prefix_forward_tokens=0, prefix_reused_tokens=0)
    for requests in calls:
        on.loglikelihood(requests)
    header = len(on.tokenizer.encode(bench.prompt(ctx, samples[0]), add_special_tokens=False))
    assert on.prefix.stats["prefix_reused_tokens"] >= 2 * 0.5 * header
    assert on.prefix.stats["prefix_forward_tokens"] < 2 * header


def test_model_without_full_attention_falls_back(smoke_path, tmp_path):
    """A sliding-window model cannot reuse a cache laid out with gaps: reuse turns itself off
    (with a warning) and the numbers are the full forward's."""
    from transformers import AutoTokenizer, MistralConfig, MistralForCausalLM

    from benchgate.models.hf import HFBackend

    tok = AutoTokenizer.from_pretrained(smoke_path)
    config = MistralConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=2, num_key_value_heads=1, sliding_window=8,
                           max_position_embeddings=256)
    torch.manual_seed(0)
    MistralForCausalLM(config).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    b = HFBackend(str(tmp_path), {"dtype": "float32"})
    with pytest.warns(RuntimeWarning, match="sliding-window"):
        assert not b.prefix.enabled
    ctx = "The following are questions about physics and chemistry.\n\nWhat is 2 + 3?\nAnswer:"
    reqs = [LL(ctx, " five"), LL(ctx, " six")]
    got = b.loglikelihood(reqs)
    assert [(g.logprob, g.is_greedy) for g in got] == b._score(b._encode_pairs(reqs), [0, 1], None, "x")
    assert b.stats["forward_rows"] == 4  # full forwards only


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_shared_prefix_attention_equals_full_forward(smoke_path, tmp_path, kv_heads, tiny_llama):
    """Rows of different lengths on one cached prefix, attended once for all rows (also with
    grouped-query attention): every real position's log-probabilities are a full forward's."""
    from benchgate.models.kv_cache import cache_layers
    from benchgate.models.shared_attention import forward_on_shared_prefix, unusable_reason

    model = tiny_llama(kv_heads)
    config = model.config
    assert unusable_reason(model) is None
    prefix_ids = [(13 * i + 5) % config.vocab_size for i in range(40)]
    rows = [[(7 * i + j) % config.vocab_size for i in range(n)] for j, n in enumerate([9, 3, 14, 1])]
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([prefix_ids]), use_cache=True)
        prefix = cache_layers(getattr(out, "cache", None) or out.past_key_values)
        got = forward_on_shared_prefix(model, prefix, rows, pad_token_id=0)
        kept = forward_on_shared_prefix(model, prefix, rows, pad_token_id=0, logits_to_keep=5)
        for j, r in enumerate(rows):
            full = model(input_ids=torch.tensor([prefix_ids + r]), use_cache=False).logits[0, len(prefix_ids):]
            want = torch.log_softmax(full, -1)
            assert (torch.log_softmax(got[j, :len(r)], -1) - want).abs().max().item() <= TOL
            width = max(map(len, rows))
            for pos in range(max(0, width - 5), len(r)):  # the last 5 positions of the padded batch
                assert (torch.log_softmax(kept[j, pos - (width - 5)], -1) - want[pos]).abs().max() <= TOL


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_packed_rows_on_several_prefixes_equal_full_forward(smoke_path, kv_heads, tiny_llama):
    """Rows of different lengths on three cached prefixes (one of them in two separate runs of
    rows), packed into one sequence: the kept positions' log-probabilities are full forwards'.
    Rows on one prefix that start with the same tokens (a stem, forwarded once) too: a stem of
    two tokens, and one where a row is all stem."""
    from benchgate.models.kv_cache import cache_layers
    from benchgate.models.shared_attention import forward_packed_on_prefixes

    model = tiny_llama(kv_heads)
    config = model.config
    prefixes = [[(13 * i + 5 + p) % config.vocab_size for i in range(n)] for p, n in enumerate([40, 7, 23])]
    with torch.inference_mode():
        kv = []
        for ids in prefixes:
            out = model(input_ids=torch.tensor([ids]), use_cache=True)
            kv.append(cache_layers(getattr(out, "cache", None) or out.past_key_values))
        which = [0, 0, 1, 1, 1, 2, 0, 2, 2, 2]  # rows of prefix 0 in two runs; three rows of 2 with a stem
        rows = [[(7 * i + j) % config.vocab_size for i in range(n)] for j, n in enumerate([9, 3, 14, 1, 6, 11, 4])]
        rows += [[5, 9, 4, 4, 1], [5, 9, 2], [5, 9]]
        keep = [5, 3, 14, 1, 2, 11, 4, 5, 3, 2]
        logits, at = forward_packed_on_prefixes(model, [kv[w] for w in which], rows, keep)
        assert [len(a) for a in at] == keep
        assert len(logits) == sum(keep) - 2 * 2  # the stem [5, 9] kept once for three rows
        for a, w, r, k in zip(at, which, rows, keep):
            full = model(input_ids=torch.tensor([prefixes[w] + r]), use_cache=False).logits[0, -k:]
            assert (torch.log_softmax(logits[a], -1) - torch.log_softmax(full, -1)).abs().max().item() <= TOL



def test_block_mask_by_hand():
    """A block of a stem (1 token) and two rows (2 and 3 tokens) on a 2-token prefix: each token
    sees the prefix, its own row (or the stem) up to itself, and a row's tokens the stem."""
    from benchgate.models.shared_attention import _block_mask

    seen = [  # key columns: prefix 0-1, stem 2, row A 3-4, row B 5-7
        [1, 1, 1, 0, 0, 0, 0, 0],  # the stem
        [1, 1, 1, 1, 0, 0, 0, 0],  # row A
        [1, 1, 1, 1, 1, 0, 0, 0],
        [1, 1, 1, 0, 0, 1, 0, 0],  # row B
        [1, 1, 1, 0, 0, 1, 1, 0],
        [1, 1, 1, 0, 0, 1, 1, 1],
    ]
    mask = _block_mask(2, [1, 2, 3], 1, torch.float32)
    assert mask.shape == (1, 1, 6, 8)
    assert (mask[0, 0] == 0).int().tolist() == seen
    assert set(mask.unique().tolist()) == {0.0, float("-inf")}
    no_stem = _block_mask(0, [2, 1], 0, torch.bfloat16)
    assert no_stem.dtype == torch.bfloat16
    assert (no_stem[0, 0] == 0).int().tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]

def test_shared_prefix_attention_only_where_it_can_work(smoke_path):
    """Eager attention (or any but sdpa) keeps the per-row prefix copies: same numbers."""
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"dtype": "float32", "attn_implementation": "eager"})
    assert b.prefix.enabled and not b.prefix.shared_attention
    ctx = "The following are questions about physics and chemistry.\n\nWhat is 2 + 3?\nAnswer:"
    reqs = [LL(ctx, " five"), LL(ctx, " six"), LL(ctx + " 5\n\nWhat is 1 + 1?\nAnswer:", " two")]
    off = HFBackend(smoke_path, {"dtype": "float32", "attn_implementation": "eager", "prefix_cache": False})
    got, want = b.loglikelihood(reqs), off.loglikelihood(reqs)
    assert max(abs(g.logprob - w.logprob) for g, w in zip(got, want)) <= TOL


def test_prefix_cache_arg_is_checked(smoke_path):
    from benchgate.models.hf import HFBackend

    with pytest.raises(ValueError, match="prefix_cache"):
        HFBackend(smoke_path, {"prefix_cache": "maybe"})
    with pytest.raises(ValueError, match="prefix_min_tokens"):
        HFBackend(smoke_path, {"prefix_min_tokens": 0})


@pytest.mark.parametrize("prefix_len", [0, 12])
def test_right_padded_rows_are_forwarded_without_a_mask_bit_for_bit(smoke_path, prefix_len, tiny_llama):
    """Rows of different lengths, right-padded, on no prefix or on prefixes of one length: no
    padding mask is built (causal attention never reaches the padding on the right, and skips the
    blocks above the diagonal), and every real position's logits and keys/values are, bit for bit,
    those of the same forward given the padding mask."""
    from benchgate.models.kv_cache import cache_kwarg, cache_layers, forward_on_prefixes, make_cache

    model = tiny_llama(2)
    config = model.config
    kwarg = cache_kwarg(model)
    rows = [[(7 * i + j) % config.vocab_size for i in range(n)] for j, n in enumerate([9, 30, 14, 1])]
    masks: list = []
    model.register_forward_pre_hook(lambda m, a, kw: masks.append(kw.get("attention_mask")), with_kwargs=True)
    with torch.inference_mode():
        chain = []
        if prefix_len:
            out = model(input_ids=torch.tensor([list(range(5, 5 + prefix_len))]), use_cache=True)
            chain = [cache_layers(getattr(out, "cache", None) or out.past_key_values)]
        masks.clear()
        got, kv = forward_on_prefixes(model, kwarg, [chain] * len(rows), rows, 0, want_kv=True)
        assert masks == [None]
        width = max(map(len, rows))
        ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
        mask = torch.tensor([[1] * (prefix_len + len(r)) + [0] * (width - len(r)) for r in rows])
        past = make_cache([(k.expand(len(rows), -1, -1, -1).clone(), v.expand(len(rows), -1, -1, -1).clone())
                           for k, v in chain[0]]) if chain else make_cache([])
        want = model(input_ids=ids, attention_mask=mask, position_ids=prefix_len + torch.arange(width).expand(len(rows), -1),
                     use_cache=True, **{kwarg: past})
    want_kv = cache_layers(getattr(want, "cache", None) or want.past_key_values)
    for j, r in enumerate(rows):
        assert torch.equal(got[j, :len(r)], want.logits[j, :len(r)])
        for (k, v), (wk, wv) in zip(kv[j], want_kv):
            assert torch.equal(k[0], wk[j, :, prefix_len:prefix_len + len(r)])
            assert torch.equal(v[0], wv[j, :, prefix_len:prefix_len + len(r)])


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_a_decode_step_on_a_shared_prefix_equals_full_forward(smoke_path, kv_heads, tiny_llama):
    """A decode step of rows whose own tokens (different lengths) sit left-padded in a cache and
    who all continue one cached prefix, attended once for all rows (`on_shared_prefix`, as the
    continuous batching's header mode does): each row's next-token log-probabilities are those
    of a full forward of prefix + own tokens + the new one."""
    from benchgate.models.kv_cache import cache_kwarg, cache_layers, make_cache
    from benchgate.models.shared_attention import on_shared_prefix

    model = tiny_llama(kv_heads)
    config = model.config
    kwarg = cache_kwarg(model)
    prefix_ids = [(13 * i + 5) % config.vocab_size for i in range(40)]
    own = [[(7 * i + j) % config.vocab_size for i in range(n)] for j, n in enumerate([9, 3, 14, 1])]
    new = [11, 12, 13, 14]
    width = max(map(len, own))
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([prefix_ids]), use_cache=True)
        prefix = [(k.contiguous(), v.contiguous()) for k, v in cache_layers(getattr(out, "cache", None) or out.past_key_values)]
        layers = [(torch.zeros(len(own), k.shape[1], width, k.shape[3]), torch.zeros(len(own), v.shape[1], width, v.shape[3]))
                  for k, v in prefix]
        for j, r in enumerate(own):  # each row's own keys/values on the prefix, right-aligned
            out = model(input_ids=torch.tensor([prefix_ids + r]), use_cache=True)
            for (k, v), (K, V) in zip(layers, cache_layers(getattr(out, "cache", None) or out.past_key_values)):
                k[j, :, width - len(r):] = K[0, :, len(prefix_ids):]
                v[j, :, width - len(r):] = V[0, :, len(prefix_ids):]
        mask = torch.tensor([[0] * (width - len(r)) + [1] * (len(r) + 1) for r in own])
        got = on_shared_prefix(model, prefix, mask, input_ids=torch.tensor([[t] for t in new]),
                               position_ids=torch.tensor([[len(prefix_ids) + len(r)] for r in own]),
                               use_cache=True, **{kwarg: make_cache(layers)}).logits[:, -1]
        for j, r in enumerate(own):
            full = model(input_ids=torch.tensor([prefix_ids + r + [new[j]]]), use_cache=False).logits[0, -1]
            assert (torch.log_softmax(got[j], -1) - torch.log_softmax(full, -1)).abs().max().item() <= TOL
