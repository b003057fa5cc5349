"""HFBackend.loglikelihood against a naive one-request-at-a-time computation (lm-eval semantics)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from benchgate.models.base import BackendError, LoglikelihoodRequest as LL

MC_CTX = ("The following are multiple choice questions (with answers) about physics.\n\n"
          "What is 12 + 30?\nA. 40\nB. 42\nC. 44\nD. 41\nAnswer:")


def naive(backend, context: str, continuation: str) -> tuple[float, bool]:
    """lm-eval HFLM loglikelihood for one request, with a plain full forward and no batching."""
    tok, model, max_len = backend.tokenizer, backend.model, backend.max_length
    n = len(context) - len(context.rstrip())
    if n:
        context, continuation = context[:-n], context[-n:] + continuation
    if context:
        whole = tok.encode(context + continuation, add_special_tokens=False)
        ctx = tok.encode(context, add_special_tokens=False)
        cont = whole[len(ctx):]
    else:
        ctx, cont = [tok.bos_token_id], tok.encode(continuation, add_special_tokens=False)
    if not cont:
        return 0.0, True
    inp = (ctx + cont)[-(max_len + 1):][:-1]
    with torch.no_grad():
        logits = model(torch.tensor([inp])).logits[0].float()
    lp = F.log_softmax(logits, -1)[len(inp) - len(cont):len(inp)]
    target = torch.tensor(cont)
    return lp.gather(1, target[:, None]).double().sum().item(), bool((lp.argmax(-1) == target).all())


def requests():
    long_ctx = "Water boils at one hundred degrees Celsius at sea level. " * 3
    return [
        LL("The Sun is a star", " at the centre of our solar system."),
        LL("Question: What is 2 + 3?\nAnswer: ", "5"),            # trailing space moves
        LL("", "Bees carry pollen from flower to flower."),       # empty context -> BOS
        LL(MC_CTX, " A"), LL(MC_CTX, " B"), LL(MC_CTX, " C"), LL(MC_CTX, " D"),
        LL(long_ctx, " The Moon does not make its own light."),   # multi-token continuation
        LL("Numbers: 12, 7, 300.\n\n", "Their sum is 319."),        # trailing newlines move
        LL("x", ""),                                               # empty continuation
    ]


def test_batched_equals_naive(backend):
    reqs = requests()
    got = backend.loglikelihood(reqs)
    assert len(got) == len(reqs)
    for r, g in zip(reqs, got):
        lp, greedy = naive(backend, r.context, r.continuation)
        assert g.logprob == pytest.approx(lp, abs=1e-5), r
        assert g.is_greedy == greedy
    assert got[-1].logprob == 0.0
    assert all(g.logprob < 0 for g in got[:-1])


def test_results_in_input_order(backend):
    reqs = requests()
    forward = backend.loglikelihood(reqs)
    backward = backend.loglikelihood(reqs[::-1])
    assert [g.logprob for g in backward[::-1]] == pytest.approx([g.logprob for g in forward], abs=1e-5)
    # distinct requests give distinct numbers, so a permutation would be caught
    assert len({round(g.logprob, 4) for g in forward}) == len(forward)


def test_whitespace_moves_into_continuation(backend):
    a, b = backend.loglikelihood([LL("Answer: ", "B"), LL("Answer:", " B")])
    assert a.logprob == pytest.approx(b.logprob, abs=1e-6)


def test_left_truncation(short_backend, backend):
    ctx = "Light bends when it passes from air into water, so a stick looks bent"
    cont = " in a glass of water."
    n = len(short_backend.tokenizer.encode(ctx + cont, add_special_tokens=False))
    assert n > short_backend.max_length + 1
    got = short_backend.loglikelihood([LL(ctx, cont), LL("A map", " uses a scale.")])
    for (c, k), g in zip([(ctx, cont), ("A map", " uses a scale.")], got):
        assert g.logprob == pytest.approx(naive(short_backend, c, k)[0], abs=1e-5)
    full = backend.loglikelihood([LL(ctx, cont)])[0]
    assert abs(full.logprob - got[0].logprob) > 1e-3  # truncation really changed the input


def test_continuation_longer_than_max_length_is_an_error(short_backend):
    with pytest.raises(BackendError, match="max_length"):
        short_backend.loglikelihood([LL("a", " b" * 40)])


def test_shared_row_dedupe(smoke_path):
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"batch_size": 8})
    reqs = [LL(MC_CTX, f" {c}") for c in "ABCD"] + [LL("The Sun", " is a star.")]
    assert all(len(b._encode_pairs([r])[0][1]) == 1 for r in reqs[:4])  # single-token choices
    shared = b.loglikelihood(reqs)
    assert b.stats["forward_rows"] == 2
    b._dedupe = False
    b.stats.update(forward_rows=0, forward_calls=0)
    separate = b.loglikelihood(reqs)
    assert b.stats["forward_rows"] == 5
    assert [s.logprob for s in shared] == pytest.approx([s.logprob for s in separate], abs=1e-5)
    assert len({s.logprob for s in shared[:4]}) == 4


def test_progress_counts_every_request(backend):
    seen = []
    reqs = requests() * 2
    backend.loglikelihood(reqs, progress=seen.append)
    assert sum(seen) == len(reqs)
    assert len(seen) > 1


def test_is_greedy_constructed(backend):
    """A continuation made of the model's own argmax tokens is greedy; change one token and not."""
    model, tok = backend.model, backend.tokenizer
    found = 0
    for ctx in ["The Sun is", "Question: What is 2 + 3?\nAnswer:", "Plants make", "A map uses",
                "Ice floats", "Numbers: 1, 2, 3"]:
        ctx_toks = tok.encode(ctx, add_special_tokens=False)
        with torch.no_grad():
            order = model(torch.tensor([ctx_toks])).logits[0, -1].argsort(descending=True).tolist()
        best, second = order[0], order[1]
        texts = [tok.decode([best]), tok.decode([second])]
        # usable only when ctx + text re-tokenizes to ctx tokens + that one token
        if [backend._encode_pairs([LL(ctx, t)])[0][1] for t in texts] != [[best], [second]]:
            continue
        g1, g2 = backend.loglikelihood([LL(ctx, texts[0]), LL(ctx, texts[1])])
        assert g1.is_greedy and not g2.is_greedy
        assert g1.logprob > g2.logprob
        found += 1
    assert found >= 2
    # multi-token: greedy rollout of 3 tokens, scored on token level
    ctx_toks = tok.encode("The Moon", add_special_tokens=False)
    seq = list(ctx_toks)
    for _ in range(3):
        with torch.no_grad():
            seq.append(int(model(torch.tensor([seq])).logits[0, -1].argmax()))
    cont = seq[len(ctx_toks):]
    wrong = cont[:2] + [(cont[2] + 1) % len(tok)]
    (lp1, g1), (lp2, g2) = backend._score([(ctx_toks, cont), (ctx_toks, wrong)], [0, 1], None, "t")
    assert g1 is True and g2 is False


def test_batch_failure_raises_backend_error(smoke_path, monkeypatch):
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {})

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(b, "model", type("M", (), {"__call__": boom, "dtype": torch.float32})())
    with pytest.raises(BackendError, match=r"loglikelihood batch of 1 requests.*RuntimeError: boom"):
        b.loglikelihood([LL("a", " b")])


def test_unknown_model_arg(smoke_path):
    from benchgate.models.hf import HFBackend

    with pytest.raises(ValueError, match=r"'bogus'.*accepted.*batch_size"):
        HFBackend(smoke_path, {"bogus": 1})
    with pytest.raises(ValueError, match="dtype"):
        HFBackend(smoke_path, {"dtype": "float8"})


def test_add_bos_token(smoke_path, backend):
    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"add_bos_token": True})
    bos = b.tokenizer.bos_token_id
    (ctx, cont), = b._encode_pairs([LL("The Sun", " is a star.")])
    assert ctx[0] == bos and bos not in cont
    with torch.no_grad():
        logits = b.model(torch.tensor([ctx + cont[:-1]])).logits[0].float()
    lp = F.log_softmax(logits, -1)[len(ctx) - 1:].gather(1, torch.tensor(cont)[:, None]).sum().item()
    got = b.loglikelihood([LL("The Sun", " is a star."), LL("", " is a star.")])
    assert got[0].logprob == pytest.approx(lp, abs=1e-5)
    # empty context: BOS as context, continuation encoded without a second BOS
    assert got[1].logprob == pytest.approx(backend.loglikelihood([LL("", " is a star.")])[0].logprob, abs=1e-5)
    assert b.fingerprint()["add_bos_token"] is True


def test_prompts_past_the_tokenizer_limit_are_truncated_without_transformers_warning(backend, capfd, caplog):
    """A prompt longer than the tokenizer's model_max_length is expected (it is left-truncated to
    the window), so transformers' "Token indices sequence length is longer than ..." warning,
    which used to land in the middle of the progress dots, is not printed."""
    from benchgate.models.base import GenerateRequest

    long = "The Sun is a star, and the Moon is not. " * 600
    assert len(backend.tokenizer(long, verbose=False)["input_ids"]) > backend.tokenizer.model_max_length
    capfd.readouterr()
    assert backend.loglikelihood([LL(long, " yes")])[0].logprob < 0
    assert backend.generate([GenerateRequest(long, max_new_tokens=2)])[0].usage["completion_tokens"] == 2
    assert "Token indices sequence length" not in capfd.readouterr().err + caplog.text


_rows = st.lists(st.tuples(st.integers(1, 6), st.lists(st.integers(0, 5), min_size=1, max_size=3)),
                 min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(rows=_rows, data=st.data())
def test_collect_equals_a_per_request_log_softmax(rows, data):
    """`_collect` (one log_softmax and one gather per batch) against lm-eval's computation for
    each request alone: sum of log_softmax at the targets, and argmax == target everywhere.
    Logits are small integers, so a target often ties another maximum (argmax takes the first).
    A row's positions are drawn from one logits tensor, so rows share positions (as packed rows
    share their stem) and a position may repeat within a row."""
    from benchgate.models.hf import HFBackend

    vocab = 6
    positions = data.draw(st.integers(1, 12))
    logits = torch.tensor(data.draw(st.lists(
        st.lists(st.integers(-2, 2), min_size=vocab, max_size=vocab), min_size=positions, max_size=positions)),
        dtype=torch.float32)
    pairs, batch, at = [], [], []
    for width, extra in rows:  # a row of `width` logit positions; members score its last ones
        members = []
        for n in sorted({min(width, 1 + e) for e in extra}):
            cont = data.draw(st.lists(st.integers(0, vocab - 1), min_size=n, max_size=n))
            members.append(len(pairs))
            pairs.append(([0], cont))
        at.append(data.draw(st.lists(st.integers(0, positions - 1), min_size=width, max_size=width)))
        batch.append((tuple(members), members))
    results = [None] * len(pairs)
    HFBackend._collect(batch, pairs, logits.clone(), at, results)  # it may overwrite its logits
    for (_, members), where in zip(batch, at):
        row = logits[where]
        for i in members:
            cont = pairs[i][1]
            lp = F.log_softmax(row[len(row) - len(cont):], dim=-1)
            want = sum(float(lp[k, t]) for k, t in enumerate(cont))
            greedy = all(int(lp[k].argmax()) == t for k, t in enumerate(cont))
            assert results[i][0] == pytest.approx(want, abs=1e-5)
            assert results[i][1] is greedy


@pytest.mark.parametrize("cycle", [False, True])
def test_close_frees_the_model_by_reference_counting(smoke_path, monkeypatch, cycle):
    """After a scoring pass (prefix cache and logits buffer in use), `close` frees the model
    without a full garbage collection; only a model still held (here by a reference cycle)
    costs one, which frees it. Closing twice is harmless."""
    import gc
    import weakref

    from benchgate.models.hf import HFBackend

    b = HFBackend(smoke_path, {"batch_size": 2})
    b.loglikelihood([LL(context="The cat sat on the", continuation=" mat"),
                     LL(context="The cat sat on the", continuation=" hat")])
    if cycle:
        b.model.loop = [b.model]
    model = weakref.ref(b.model)
    collect, calls = gc.collect, []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or collect(*a))
    gc.disable()
    try:
        b.close()
        assert model() is None
        assert len(calls) == cycle
        b.close()
    finally:
        gc.enable()
