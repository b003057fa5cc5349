"""The last decoder layer cut to the kept positions (`benchgate/models/last_layer.py`): the kept
logits and the cache equal a plain forward's, the last layer really computes the kept rows only,
other forwards are untouched, and a model it does not fit is left as it was."""
from __future__ import annotations

import pytest
import torch

from benchgate.models import last_layer
from benchgate.models.kv_cache import cache_kwarg, cache_layers

TOL = 1e-5


def _ids(vocab: int, rows: int, width: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, vocab, (rows, width), generator=g)


class _Spy:
    """The rows the last layer's MLP computes, and the attention output its o_proj receives."""

    def __init__(self, model):
        last = model.model.layers[-1]
        self.mlp_rows: list[int] = []
        self.attn_out: list[torch.Tensor] = []
        self.impl: list[str] = []
        last.mlp.down_proj.register_forward_pre_hook(lambda m, a: self.mlp_rows.append(a[0].shape[:-1].numel()))
        last.self_attn.o_proj.register_forward_pre_hook(lambda m, a: self.attn_out.append(a[0].clone()))
        last.register_forward_pre_hook(lambda m, a: self.impl.append(model.config._attn_implementation))


def _pair(tiny_llama, kv_heads: int, layers: int = 2):
    """(installed, plain): the same weights, the last layer cut on the first only."""
    model, plain = tiny_llama(kv_heads, layers), tiny_llama(kv_heads, layers)
    assert last_layer.install(model) is None
    return model, plain


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_kept_positions_equal_a_plain_forward_and_only_they_are_computed(tiny_llama, kv_heads):
    """The last position of a causal batch, each row's end in a right-padded one, the last
    positions of a left-padded batch: logits within 1e-5 of the plain model's, the last layer's
    MLP fed the kept rows only, its attention output zero elsewhere, under the cut SDPA."""
    model, plain = _pair(tiny_llama, kv_heads, layers=3)
    spy = _Spy(model)
    ids = _ids(model.config.vocab_size, 3, 20)
    mask = torch.ones_like(ids)
    mask[0, :6] = 0
    mask[2, :2] = 0
    cases = [({"input_ids": ids}, 1, [19]),
             ({"input_ids": ids}, torch.tensor([4, 11, 19]), [4, 11, 19]),
             ({"input_ids": ids, "attention_mask": mask}, 3, [17, 18, 19])]
    with torch.inference_mode():
        for forward, keep, kept in cases:
            spy.mlp_rows.clear(), spy.attn_out.clear(), spy.impl.clear()
            got = model(**forward, logits_to_keep=keep).logits
            want = plain(**forward).logits[:, kept]
            assert (got - want).abs().max().item() < TOL
            assert spy.mlp_rows == [3 * len(kept)]
            out = spy.attn_out[0]
            other = [p for p in range(20) if p not in kept]
            assert out[:, other].abs().max().item() == 0 and out[:, kept].abs().max().item() > 0
            assert spy.impl == [last_layer.NAME]
            assert model.config._attn_implementation == "sdpa"


@pytest.mark.parametrize("left_padded", [False, True])
def test_rows_on_a_cache_equal_a_plain_forward_and_the_cache_is_unchanged(tiny_llama, left_padded):
    """Rows continuing a cache (as admissions and prefix reuse forward them), kept positions
    anywhere: their logits and every layer's new keys/values equal the plain model's."""
    from transformers import DynamicCache

    model, plain = _pair(tiny_llama, 2)
    kwarg = cache_kwarg(model)
    ids = _ids(model.config.vocab_size, 2, 26, seed=3)
    mask = torch.ones_like(ids)
    if left_padded:
        mask[1, :4] = 0
    keep = torch.tensor([0, 7, 15])
    results = []
    with torch.inference_mode():
        for m, kept in ((model, keep), (plain, None)):
            cache = DynamicCache()
            m(input_ids=ids[:, :10], attention_mask=mask[:, :10], use_cache=True, **{kwarg: cache})
            kwargs = {"logits_to_keep": kept} if kept is not None else {}
            out = m(input_ids=ids[:, 10:], attention_mask=mask, use_cache=True, **{kwarg: cache}, **kwargs)
            results.append((out.logits, cache_layers(cache)))
    (got, got_kv), (want, want_kv) = results
    assert (got - want[:, keep]).abs().max().item() < TOL
    for (k1, v1), (k2, v2) in zip(got_kv, want_kv):
        assert torch.equal(k1, k2) and torch.equal(v1, v2)


def test_forwards_that_keep_every_position_are_untouched(tiny_llama):
    """No `logits_to_keep`, a decode step of one token, or every position kept: the last layer
    computes every row with transformers' own SDPA; a forward that fails puts the attention
    implementation back."""
    model, _ = _pair(tiny_llama, 4)
    spy = _Spy(model)
    ids = _ids(model.config.vocab_size, 2, 12)
    with torch.inference_mode():
        model(input_ids=ids)
        model(input_ids=ids[:, :1], logits_to_keep=1)
        model(input_ids=ids, logits_to_keep=12)
        model(input_ids=ids, logits_to_keep=torch.arange(12))
        assert spy.mlp_rows == [24, 2, 24, 24]
        assert spy.impl == ["sdpa"] * 4
        with pytest.raises(Exception):
            model(input_ids=ids + model.config.vocab_size, logits_to_keep=1)  # ids out of range
    assert model.config._attn_implementation == "sdpa"


class _MixingMLP(torch.nn.Module):
    """An MLP that is not row-wise (each position sees the sum of those before it)."""

    def __init__(self, mlp):
        super().__init__()
        self.mlp = mlp

    def forward(self, x):
        return self.mlp(x.cumsum(dim=1))


def test_a_model_whose_last_layer_mixes_positions_is_left_as_it_was(tiny_llama):
    """The self-check finds the cut last layer wrong for this model: install says why, warns,
    and leaves no hook or wrapped forward behind, so forwards equal the plain model's."""
    model, plain = tiny_llama(2), tiny_llama(2)
    for m in (model, plain):
        m.model.layers[-1].mlp = _MixingMLP(m.model.layers[-1].mlp)
    with pytest.warns(RuntimeWarning, match="last layer computes every position"):
        reason = last_layer.install(model)
    assert reason and "differ" in reason
    last = model.model.layers[-1]
    assert not model._forward_pre_hooks and not model._forward_hooks
    assert "forward" not in last.mlp.__dict__ and "forward" not in last.self_attn.o_proj.__dict__
    assert not hasattr(last.self_attn, "_benchgate_rows")
    ids = _ids(model.config.vocab_size, 2, 16)
    with torch.inference_mode():
        got, want = model(input_ids=ids, logits_to_keep=1).logits, plain(input_ids=ids).logits[:, -1:]
    assert (got - want).abs().max().item() < TOL, (got - want).abs().max().item()


def test_models_it_does_not_fit_are_named_and_unchanged():
    """A model without `model.layers` (GPT-2): the reason, and no hook installed."""
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=32, n_embd=32, n_layer=2, n_head=2)).eval()
    assert last_layer.install(model) == "no decoder layers at model.model.layers"
    assert not model._forward_pre_hooks


def test_the_backend_arg(smoke_path):
    """`trim_last_layer` (default true) is checked, and `last_layer_off` says why it is off."""
    from benchgate.models.hf import HFBackend

    on = HFBackend(smoke_path, {"dtype": "float32", "device": "cpu"})
    off = HFBackend(smoke_path, {"dtype": "float32", "device": "cpu", "trim_last_layer": False})
    assert on.last_layer_off is None
    assert off.last_layer_off == "turned off (trim_last_layer=false)"
    assert not off.model._forward_pre_hooks
    with pytest.raises(ValueError, match="trim_last_layer"):
        HFBackend(smoke_path, {"trim_last_layer": "maybe"})


def test_the_backend_gives_the_same_results_with_the_cut_on_and_off(smoke_path):
    """HFBackend on the smoke model (2 layers, grouped-query attention), trim_last_layer on and
    off: log-likelihoods within 1e-5 and the same is_greedy on rows that continue a cached
    few-shot header, and the same greedy generations (continuous batching, stops and lengths
    that vary)."""
    from benchgate.models.base import GenerateRequest, GenerationConfig, LoglikelihoodRequest
    from benchgate.models.hf import HFBackend

    header = "".join(f"Question: what is {a} plus {a + 1}?\nAnswer: {2 * a + 1}\n\n" for a in range(6))
    scored = [LoglikelihoodRequest(header + f"Question: what is {a} plus 7?\nAnswer:", f" {c}")
              for a in range(5) for c in (a + 7, a + 8, 12)]
    prompts = [GenerateRequest(header + f"Question: what is {a} times 3?\nAnswer:", stop=("\n", "1"),
                               max_new_tokens=6 + a) for a in range(7)]
    results = []
    for on in (True, False):
        backend = HFBackend(smoke_path, {"dtype": "float32", "device": "cpu", "batch_size": 3,
                                         "prefix_min_tokens": 8, "trim_last_layer": on},
                            generation=GenerationConfig(max_new_tokens=12))
        assert (backend.last_layer_off is None) is on
        results.append((backend.loglikelihood(scored), backend.generate(prompts)))
        assert backend.prefix.stats["prefix_reused_tokens"] + backend.prefix.stats["prefix_forward_tokens"] > 0
        backend.close()
    (ll_on, gen_on), (ll_off, gen_off) = results
    assert max(abs(a.logprob - b.logprob) for a, b in zip(ll_on, ll_off)) < TOL
    assert [a.is_greedy for a in ll_on] == [b.is_greedy for b in ll_off]
    assert [g.text for g in gen_on] == [g.text for g in gen_off]
    assert len({g.usage["completion_tokens"] for g in gen_on}) > 1  # lengths vary
