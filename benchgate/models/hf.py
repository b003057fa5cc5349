"""Local transformers backend: loglikelihood, rolling loglikelihood and generation in batches.

Scoring follows lm-evaluation-harness `HFLM` (see `HFBackend.loglikelihood`) so that numbers
compare with published ones.
"""
from __future__ import annotations

import inspect
import json
from collections import Counter
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from .base import (BackendError, GenerateRequest, Generation, GenerationConfig, Loglikelihood,
                   LoglikelihoodRequest, RollingLoglikelihoodRequest, TokenScores, TokenScoresRequest)
from .args import check_hf_args
from .batching import by_count, by_footprint
from .fingerprint import config_max_length, hf_fingerprint, model_name
from .continuous import Scheduler, available as continuous_available
from .hf_generate import generate_batch, row_seed
from .hf_prefix import DEFAULT_MIN_TOKENS, Plan, PrefixReuse
from .hf_tokens import token_scores
from .host_memory import keep_freed_memory
from .kv_cache import concat, forward_on_prefixes, unsupported_reason
from .last_layer import install as install_last_layer
from .logits_buffer import LogitsBuffer
from .pair_tokens import encode_pairs
from .release import drop_model
from .shared_attention import forward_packed_on_prefixes
from .windows import rolling_windows, window_inputs

Progress = Callable[[int], None] | None


class HFBackend:
    """A causal LM loaded with `AutoModelForCausalLM.from_pretrained`.

    model_args: revision, dtype (alias precision: auto|float32|float16|bfloat16), device_map or
    device (default cuda if available else cpu), batch_size (rows per forward, default 8;
    rows scored on a cached prefix fill the footprint of batch_size rows of the longest),
    trust_remote_code, max_length (default: the model's max positions, else 2048),
    add_bos_token (encode with the tokenizer's special tokens, default False as lm-eval),
    prefix_cache (default true: forward token prefixes shared by several requests once and
    compute the rest on top of their key/value cache; false: a full forward per row),
    prefix_min_tokens (shortest shared prefix worth its own forward, default 16),
    continuous_batching (default true: a generation row that finishes leaves the batch and a
    waiting prompt takes its place; false: fixed batches run to their longest row),
    trim_last_layer (default true: a forward that keeps a few positions' logits, a prompt's
    prefill or a cached prefix, computes the last layer's attention and MLP at those positions
    only, `last_layer.py`; false: at every position).
    """

    def __init__(self, path: str, model_args: dict | None = None,
                 generation: GenerationConfig | None = None, chat_template: bool = False):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        args = check_hf_args(model_args)
        self.path = str(path)
        self.name = model_name(self.path)
        self._args = args
        self.revision = args.get("revision")
        self.generation = generation or GenerationConfig()
        self.chat_template = bool(chat_template)
        self.batch_size: int = args.get("batch_size", 8)
        self.add_bos_token = bool(args.get("add_bos_token", False))
        trust = bool(args.get("trust_remote_code", False))
        self.tokenizer = AutoTokenizer.from_pretrained(
            self.path, revision=self.revision, trust_remote_code=trust)
        dtype = args["dtype"] if args["dtype"] == "auto" else getattr(torch, args["dtype"])
        load: dict = {"revision": self.revision, "trust_remote_code": trust, "dtype": dtype}
        if "device_map" in args:
            load["device_map"] = args["device_map"]
        if args.get("attn_implementation"):
            load["attn_implementation"] = args["attn_implementation"]
        self.model = AutoModelForCausalLM.from_pretrained(self.path, **load)
        if "device_map" not in args:
            device = args.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
            self.model.to(device)
        self.model.eval()
        self.device = next(self.model.parameters()).device
        if self.device.type == "cpu":  # activations reused from forward to forward, not mapped again
            keep_freed_memory()
        self.max_length: int = args.get("max_length") or config_max_length(self.model.config)
        tok = self.tokenizer
        self.prefix_token_id = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        self.pad_token_id = next((t for t in (tok.pad_token_id, tok.eos_token_id, 0) if t is not None))
        params = inspect.signature(self.model.forward).parameters
        self._keep_arg = "logits_to_keep" in params
        # why the last layer computes every position (None: only the kept ones)
        self.last_layer_off: str | None = "turned off (trim_last_layer=false)"
        if self._keep_arg and args.get("trim_last_layer", True):
            self.last_layer_off = install_last_layer(self.model)
        self._dedupe = True  # share one forward row between requests with identical input
        self.logits = LogitsBuffer(self.model)  # scoring forwards' logits, one buffer reused
        self.prefix = PrefixReuse(self.model, self.pad_token_id, self.batch_size,
                                  args.get("prefix_min_tokens", DEFAULT_MIN_TOKENS),
                                  enabled=args.get("prefix_cache", True), keep_arg=self._keep_arg)
        self.stats = {"forward_calls": 0, "forward_rows": 0, "forward_tokens": 0}
        self._fingerprint: dict | None = None

    # ---------------------------------------------------------------- tokenization
    def _encode_many(self, texts: Sequence[str], special: bool | None = None) -> list[list[int]]:
        if not texts:
            return []
        add = self.add_bos_token if special is None else special
        # verbose=False: prompts past model_max_length are expected (left-truncated to the window)
        return self.tokenizer(list(texts), add_special_tokens=add, verbose=False)["input_ids"]

    def _encode_pairs(self, requests: Sequence[LoglikelihoodRequest]
                      ) -> list[tuple[list[int], list[int]]]:
        """(context tokens, continuation tokens) as lm-eval `_encode_pair`."""
        pairs = []
        for r in requests:
            ctx, cont = r.context, r.continuation
            n = len(ctx) - len(ctx.rstrip())
            if n:
                ctx, cont = ctx[:-n], ctx[-n:] + cont
            pairs.append((ctx, cont))
        enc, enc_whole, _ = encode_pairs(self.tokenizer, pairs, self.add_bos_token)
        bare = sorted({k for c, k in pairs if not c})
        enc_bare = dict(zip(bare, self._encode_many(bare, special=False)))
        out = []
        for ctx, cont in pairs:
            if not ctx:
                out.append(([self.prefix_token_id], list(enc_bare[cont])))
            else:
                ctx_toks, whole = enc[ctx], enc_whole[(ctx, cont)]
                out.append((list(ctx_toks), list(whole[len(ctx_toks):])))
        return out

    # ---------------------------------------------------------------- scoring core
    def _score(self, pairs: Sequence[tuple[list[int], list[int]]], owners: Sequence[int],
               progress: Progress, kind: str, share: bool = False) -> list[tuple[float, bool]]:
        """logprob and is_greedy of each (context, continuation) token pair, batched.

        Rows are deduplicated on the model input tokens, sorted by descending length, right
        padded; `progress` gets the number of owners (requests) whose pairs are all done. With
        `share`, rows whose contexts share a token prefix are computed on top of that prefix's
        key/value cache (see `_plan_prefixes`).
        """
        results: list[tuple[float, bool] | None] = [None] * len(pairs)
        remaining: dict[int, int] = {}
        for o in owners:
            remaining[o] = remaining.get(o, 0) + 1
        rows: dict[tuple, list[int]] = {}
        inputs: list[list[int]] = []  # one per pair
        for i, (ctx, cont) in enumerate(pairs):
            if len(cont) > self.max_length:
                raise BackendError(f"{kind}: continuation of request {owners[i]} has {len(cont)} "
                                   f"tokens, more than max_length={self.max_length}")
            inp = window_inputs(ctx, cont, self.max_length)
            inputs.append(inp)
            if not cont:
                results[i] = (0.0, True)
                continue
            key = tuple(inp) if self._dedupe else (i, *inp)
            rows.setdefault(key, []).append(i)

        def finish(pair_ids: list[int]) -> None:
            done = 0
            for i in pair_ids:
                remaining[owners[i]] -= 1
                done += remaining[owners[i]] == 0
            if progress and done:
                progress(done)

        finish([i for i, r in enumerate(results) if r is not None])
        order = sorted(rows.items(), key=lambda kv: (-len(inputs[kv[1][0]]), kv[0]))
        plan, shared = None, []
        if share and order and self.prefix.enabled:
            try:
                plan, shared, order = self._plan_prefixes(order, pairs, inputs)
            except Exception as e:  # noqa: BLE001 - re-raised with context
                raise BackendError(f"{kind}: computing shared prefixes failed on {self.name}: "
                                   f"{type(e).__name__}: {e}") from e
        work = [(b, None) for b in by_count(order, self.batch_size)]
        work += [(b, plan) for b in self._batches_on_prefixes(shared, inputs, plan)]
        try:
            for batch, batch_plan in work:
                try:
                    if batch_plan is None:
                        self._score_batch(batch, pairs, inputs, results)
                    else:
                        self._score_batch_on_prefix(batch, pairs, inputs, results, batch_plan)
                except Exception as e:  # noqa: BLE001 - re-raised with context
                    raise BackendError(f"{kind} batch of {sum(len(m) for _, m in batch)} requests "
                                       f"failed on {self.name}: {type(e).__name__}: {e}") from e
                finish([i for _, members in batch for i in members])
        finally:
            self.logits.release()
        return results  # type: ignore[return-value]

    def _plan_prefixes(self, order, pairs, inputs) -> tuple[Plan, list, list]:
        """(plan, rows that continue from a cached prefix, rows for a full forward).

        A row's reusable part is its input before the first position whose logits are needed
        (its context tokens), so every scored position is computed in the row's own forward.
        Left-truncated rows take the full forward, as before.
        """
        candidates, keys, plain = [], [], []
        for key, members in order:
            inp = inputs[members[0]]
            if any(len(pairs[i][0]) + len(pairs[i][1]) - 1 != len(inp) for i in members):
                plain.append((key, members))  # left-truncated: full forward
                continue
            candidates.append((key, members))
            keys.append(inp[:len(inp) - max(len(pairs[i][1]) for i in members)])
        plan = self.prefix.plan(keys)
        shared = []
        for j, row in enumerate(candidates):
            if plan.parent[j] is None:
                plain.append(row)
            else:
                shared.append((j, row[1]))
        plain.sort(key=lambda kv: (-len(inputs[kv[1][0]]), kv[0]))
        # rows on a prefix: longest own input first; with the shared-prefix attention, rows of
        # one prefix together (most rows first), so that a batch's rows continue the same one
        own = {j: (plan.offset(j) - len(inputs[m[0]]), j) for j, m in shared}
        if self.prefix.shared_attention:
            size = Counter(id(plan.parent[j]) for j, _ in shared)

            def group(j: int) -> tuple:
                node = plan.parent[j]
                return -size[id(node)], node.length, node.rep

            shared.sort(key=lambda jm: (group(jm[0]), own[jm[0]]))
        else:
            shared.sort(key=lambda jm: own[jm[0]])
        return plan, shared, plain

    def _batches_on_prefixes(self, shared: list, inputs, plan: Plan) -> list[list]:
        """Batches of the rows on cached prefixes. Where rows on several prefixes are packed
        (`prefix.packed`), a batch holds as many tokens as `batch_size` rows of the longest
        (`batching.by_footprint`): packed rows count their tokens, rows on one prefix (padded
        to the longest, `forward_on_shared_prefix`) rows x width. Else `batch_size` rows."""
        if not self.prefix.packed or not shared:
            return list(by_count(shared, self.batch_size))
        own = {j: len(inputs[members[0]]) - plan.offset(j) for j, members in shared}
        prefix = {j: id(plan.chain(j)) for j, _ in shared}

        def footprint(batch: list) -> int:
            lens = [own[j] for j, _ in batch]
            if len({prefix[j] for j, _ in batch}) == 1:
                return len(lens) * max(lens)
            return sum(lens)

        return list(by_footprint(shared, footprint, self.batch_size))

    @torch.inference_mode()
    def _score_batch(self, batch, pairs, inputs, results) -> None:
        rows = [inputs[members[0]] for _, members in batch]
        lens = [len(r) for r in rows]
        width = max(lens)
        ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        for j, r in enumerate(rows):
            ids[j, :len(r)] = torch.tensor(r, dtype=torch.long)
        # only positions that predict continuation tokens need logits
        first = min(lens[j] - max(len(pairs[i][1]) for i in members)
                    for j, (_, members) in enumerate(batch))
        kwargs = {"use_cache": False}
        offset = 0
        if self._keep_arg:
            kwargs["logits_to_keep"] = width - first
            offset = first
        with self.logits.writing():
            logits = self.model(input_ids=ids.to(self.device), **kwargs).logits
        self._count(lens)
        self._collect(batch, pairs, *_rows_of(logits, [n - offset for n in lens]), results)

    @torch.inference_mode()
    def _score_batch_on_prefix(self, batch, pairs, inputs, results, plan: Plan) -> None:
        """Rows forwarded on top of their cached prefix: only the tokens after it are input."""
        rows = [inputs[members[0]][plan.offset(j):] for j, members in batch]
        lens = [len(r) for r in rows]
        scored = [max(len(pairs[i][1]) for i in members) for _, members in batch]
        chains = [plan.chain(j) for j, _ in batch]
        self._count(lens)
        if self.prefix.packed and any(c is not chains[0] for c in chains):
            # several prefixes: the rows packed without padding (shared_attention.py)
            merged = {id(c): concat(c) for c in chains}
            with self.logits.writing():
                logits, at = forward_packed_on_prefixes(self.model, [merged[id(c)] for c in chains], rows, scored)
            self.prefix.stats["packed_rows"] += len(rows)
            self.prefix.stats["packed_forwards"] += 1
            self._collect(batch, pairs, logits, at, results)
            return
        first = min(n - k for n, k in zip(lens, scored))
        keep = max(lens) - first if self._keep_arg else None
        with self.logits.writing():
            logits, _ = forward_on_prefixes(self.model, self.prefix.kwarg, chains,
                                            rows, self.pad_token_id, logits_to_keep=keep,
                                            shared_attention=self.prefix.shared_attention)
        offset = first if keep is not None else 0
        self._collect(batch, pairs, *_rows_of(logits, [n - offset for n in lens]), results)

    def _count(self, lens: list[int]) -> None:
        self.stats["forward_calls"] += 1
        self.stats["forward_rows"] += len(lens)
        self.stats["forward_tokens"] += sum(lens)

    @staticmethod
    def _collect(batch, pairs, logits: torch.Tensor, at: Sequence[Sequence[int]], results) -> None:
        """Sum each member's continuation logprobs and say whether each target is the argmax
        (lm-eval's is_greedy). `logits` (positions, vocab); `at[j]`: the indices in it of row
        j's last positions, up to and including its last input position. One float32
        log_softmax over the positions some member scores (each once; it may overwrite
        `logits`), one gather of the targets, per-member sums in float64: a few tensor
        operations per batch, not per request."""
        rows: dict[int, int] = {}  # index in `logits` -> row in the log_softmax
        where: list[int] = []
        target: list[int] = []
        lengths: list[int] = []
        members: list[int] = []
        for j, (_, group) in enumerate(batch):
            for i in group:
                cont = pairs[i][1]
                where += [rows.setdefault(p, len(rows)) for p in at[j][len(at[j]) - len(cont):]]
                target += cont
                lengths.append(len(cont))
                members.append(i)
        device = logits.device
        lp = _log_softmax(logits, list(rows))
        where_t = torch.tensor(where, device=device)
        target_t = torch.tensor(target, dtype=torch.long, device=device)
        owner = torch.repeat_interleave(torch.arange(len(members), device=device),
                                        torch.tensor(lengths, device=device))
        picked = lp[where_t, target_t]
        totals = torch.zeros(len(members), dtype=torch.float64, device=device)
        totals.index_add_(0, owner, picked.double())
        greedy = _is_argmax(lp, where_t, target_t, picked)
        misses = torch.zeros(len(members), dtype=torch.long, device=device)
        misses.index_add_(0, owner, (~greedy).long())
        for i, total, miss in zip(members, totals.tolist(), misses.tolist()):
            results[i] = (total, miss == 0)

    # ---------------------------------------------------------------- public API
    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest],
                      progress: Progress = None) -> list[Loglikelihood]:
        """log P(continuation | context) per request, exactly as lm-eval HFLM.

        Trailing context whitespace moves into the continuation; continuation tokens are
        tokens(context + continuation) after len(tokens(context)); an empty context becomes the
        BOS (else EOS) token; the input `(ctx + cont)[-(max_length + 1):][:-1]` is truncated from
        the left; is_greedy is True when argmax equals every continuation token.
        """
        pairs = self._encode_pairs(requests)
        scored = self._score(pairs, list(range(len(pairs))), progress, "loglikelihood", share=True)
        return [Loglikelihood(float(lp), bool(g)) for lp, g in scored]

    def loglikelihood_rolling(self, requests: Sequence[RollingLoglikelihoodRequest],
                              progress: Progress = None) -> list[float]:
        """Total logprob of each text over disjoint max_length windows (lm-eval semantics)."""
        pairs, owners = [], []
        for k, toks in enumerate(self._encode_many([r.text for r in requests])):
            for ctx, target in rolling_windows(toks, self.prefix_token_id, self.max_length):
                pairs.append((ctx, target))
                owners.append(k)
        empty = len(requests) - len(set(owners))  # empty texts: logprob 0, nothing to run
        if progress and empty:
            progress(empty)
        scored = self._score(pairs, owners, progress, "loglikelihood_rolling")
        totals = [0.0] * len(requests)
        for (lp, _), k in zip(scored, owners):
            totals[k] += lp
        return totals

    def token_scores(self, requests: Sequence[TokenScoresRequest],
                     progress: Progress = None) -> list[TokenScores]:
        """Per-token log p, and the mean and variance of log p over the vocabulary, of each
        text (benchgate.models.hf_tokens: tokens as `loglikelihood_rolling` scores them)."""
        try:
            return token_scores(self.model, lambda t: self._encode_many(t, special=False),
                                [r.text for r in requests], self.prefix_token_id, self.pad_token_id,
                                self.max_length, self.batch_size, progress, self._count)
        except Exception as e:  # noqa: BLE001 - re-raised with context
            raise BackendError(f"token_scores of {len(requests)} texts failed on {self.name}: "
                               f"{type(e).__name__}: {e}") from e

    def _prompt_tokens(self, req: GenerateRequest, index: int) -> list[int]:
        if isinstance(req.prompt, str) and not self.chat_template:
            return self._encode_many([req.prompt])[0]
        messages = ([{"role": "user", "content": req.prompt}] if isinstance(req.prompt, str)
                    else [dict(m) for m in req.prompt])
        if not getattr(self.tokenizer, "chat_template", None):
            raise BackendError(f"generate: request {index} needs a chat template (chat messages "
                               f"or chat_template=True) but the tokenizer of {self.path} has none")
        if req.tools:
            if "tools" not in self.tokenizer.chat_template:
                raise BackendError(f"generate: request {index} offers tools (native tool calling) but the chat "
                                   f"template of {self.path} has no tool support; ask in the prompt instead "
                                   f"(bfcl: --dataset-args '{{\"bfcl\": {{\"mode\": \"prompt\"}}}}')")
            text = self.tokenizer.apply_chat_template(messages, tools=json.loads(req.tools), tokenize=False,
                                                      add_generation_prompt=True)
        else:
            text = self.tokenizer.apply_chat_template(messages, tokenize=False,
                                                      add_generation_prompt=True)
        return self._encode_many([text], special=False)[0]

    def generate(self, requests: Sequence[GenerateRequest], progress: Progress = None,
                 on_result: Callable[[int, Generation], None] | None = None) -> list[Generation]:
        """Batched generation, stop strings cut (the request's own and --generation-config's
        `stop`). Prompts that share a token prefix (few-shot exemplars) decode on top of its
        key/value cache, computed once. With continuous batching (default) a row that finishes
        leaves the batch and the next prompt takes its place (`continuous.Scheduler`); else
        batches are length-sorted, left padded and seeded per batch (`hf_generate`).
        `on_result(i, generation)` as each request is done (the predictor writes it to the
        cache at once)."""
        cfg = self.generation
        limits = [r.max_new_tokens if r.max_new_tokens is not None else cfg.max_new_tokens
                  for r in requests]
        stops = [cfg.stops(r.stop) for r in requests]
        prompts = []
        for i, r in enumerate(requests):
            toks = self._prompt_tokens(r, i)
            keep = self.max_length - limits[i]
            prompts.append((toks[-keep:] if 0 < keep < len(toks) else toks) or [self.prefix_token_id])
        plan = None
        if self.prefix.enabled and len(requests) > 1:
            try:
                plan = self.prefix.plan([p[:-1] for p in prompts], flat=True)
            except Exception as e:  # noqa: BLE001 - re-raised with context
                raise BackendError(f"generate: computing shared prefixes failed on {self.name}: "
                                   f"{type(e).__name__}: {e}") from e
        if self._continuous():
            return self._generate_continuous(requests, prompts, stops, limits, plan, progress, on_result)
        batches: list[tuple[list[int], tuple | None]] = []
        rest = list(range(len(requests)))
        if plan is not None:
            groups: dict[int, list[int]] = {}
            for i, node in enumerate(plan.parent):
                if node is not None:
                    groups.setdefault(id(node), []).append(i)
            for members in groups.values():
                node = plan.parent[members[0]]
                shared = (self.prefix.kwarg, node.length, concat(plan.chain(members[0])))
                members.sort(key=lambda i: (-len(prompts[i]), prompts[i]))
                batches += [(b, shared) for b in by_count(members, self.batch_size)]
            rest = [i for i in rest if plan.parent[i] is None]
        rest.sort(key=lambda i: (-len(prompts[i]), prompts[i]))
        batches += [(b, None) for b in by_count(rest, self.batch_size)]
        results: list[Generation | None] = [None] * len(requests)
        for idx, shared in batches:
            try:
                texts = generate_batch(self.model, self.tokenizer, self.generation,
                                       [prompts[i] for i in idx], [stops[i] for i in idx],
                                       [limits[i] for i in idx], self.pad_token_id, prefix=shared)
            except Exception as e:  # noqa: BLE001
                raise BackendError(f"generate batch of {len(idx)} requests failed on {self.name}: "
                                   f"{type(e).__name__}: {e}") from e
            for i, gen in zip(idx, texts):
                results[i] = gen
                _report(on_result, i, gen)
            if progress:
                progress(len(idx))
        return results  # type: ignore[return-value]

    def _continuous(self) -> bool:
        """Continuous batching: asked for (default), and the model decodes correctly on a
        left-padded key/value cache (the prefix self-check, unless prefix_cache=false)."""
        if not self._args.get("continuous_batching", True) or not continuous_available():
            return False
        if self.prefix.kwarg is None or unsupported_reason(self.model) is not None:
            return False
        return self.prefix.enabled or not self._args.get("prefix_cache", True)

    def _generate_continuous(self, requests, prompts, stops, limits, plan, progress, on_result) -> list[Generation]:
        order = sorted(range(len(requests)), key=lambda i: (-len(prompts[i]), prompts[i]))
        starts = [(plan.offset(i), plan.chain(i)) if plan is not None else (0, []) for i in range(len(requests))]
        seeds = [row_seed(self.generation.seed, prompts[i], r.repeat) for i, r in enumerate(requests)]
        results: list[Generation | None] = [None] * len(requests)

        def done(k: int, gen: Generation) -> None:
            results[order[k]] = gen
            _report(on_result, order[k], gen)
            if progress:
                progress(1)

        scheduler = Scheduler(self.model, self.tokenizer, self.generation, self.pad_token_id,
                              self.batch_size, self.prefix.kwarg, self._keep_arg,
                              shared_header=self.prefix.shared_attention)
        try:
            scheduler.run([prompts[i] for i in order], [starts[i] for i in order],
                          [stops[i] for i in order], [limits[i] for i in order],
                          [seeds[i] for i in order], done)
        except Exception as e:  # noqa: BLE001 - re-raised with context
            raise BackendError(f"generate ({len(requests)} requests, continuous batching) failed on "
                               f"{self.name}: {type(e).__name__}: {e}") from e
        for key, value in scheduler.stats.items():
            self.stats[key] = self.stats.get(key, 0) + value
        return results  # type: ignore[return-value]

    def fingerprint(self) -> dict:
        """Model identity (`hf_fingerprint`: from the files and config, not the loaded weights)."""
        if self._fingerprint is None:
            self._fingerprint = hf_fingerprint(self.path, self._args, self.chat_template)
        return dict(self._fingerprint)

    def close(self) -> None:
        """Free the model and what holds it (the prefix cache, the logits buffer)."""
        drop_model(self, "prefix", "logits")


def _log_softmax(logits: torch.Tensor, rows: list[int]) -> torch.Tensor:
    """float32 log_softmax of `logits[rows]`. Where `rows` are all of `logits` in order and
    `logits` is float32 (packed forwards keep only scored positions), it overwrites `logits`
    instead of copying them twice (~30 MB a batch)."""
    if logits.dtype == torch.float32 and rows == list(range(len(logits))):
        return torch.log_softmax(logits, dim=-1, out=logits)
    return F.log_softmax(logits[torch.tensor(rows, device=logits.device)].float(), dim=-1)


def _is_argmax(lp: torch.Tensor, where: torch.Tensor, target: torch.Tensor, picked: torch.Tensor
               ) -> torch.Tensor:
    """Whether `target[k]` is `lp[where[k]].argmax()` (the first maximum, as torch's argmax),
    from the rows' maxima (`amax`: ~20x faster than `argmax` on the CPU); argmax itself only
    for rows where the target ties another maximum."""
    best = lp.amax(-1)[where]
    hit = picked == best
    rows = hit.nonzero().squeeze(-1)
    if len(rows):
        tied = (lp[where[rows]] == best[rows, None]).sum(-1) > 1
        if tied.any():
            at = rows[tied]
            hit[at] = lp[where[at]].argmax(-1) == target[at]
    return hit


def _rows_of(logits: torch.Tensor, kept: Sequence[int]) -> tuple[torch.Tensor, list[range]]:
    """(positions, vocab) logits of a padded batch (rows, positions, vocab) and, per row j, the
    indices of its first `kept[j]` positions (`HFBackend._collect`'s `at`)."""
    width = logits.shape[1]
    return logits.reshape(-1, logits.shape[-1]), [range(j * width, j * width + n) for j, n in enumerate(kept)]


def _report(on_result, index: int, gen: Generation) -> None:
    """Hand one finished generation to the caller's callback; its failure is not ours."""
    if on_result is not None:
        try:
            on_result(index, gen)
        except Exception:  # noqa: BLE001 - the result is still returned
            pass

