"""Continuous batching for local generation: a row that finishes leaves the batch at once and
the next waiting prompt takes its slot, so no step is spent on rows that are done.

The running batch is one key/value buffer per layer, (slots, kv_heads, room, head_dim), every
row right-aligned at the same end column `n` (left padding masked out; position ids count each
row's real tokens, so a row decodes as it would alone). Each step forwards one token per slot
and writes its keys/values in place at column `n` (`kv_cache.BufferLayer`). Admitted prompts
are prefilled together on top of their cached shared prefix (`kv_cache.forward_on_prefixes`:
a few-shot header is forwarded once, in `PrefixReuse`) and copied into free slots. A fresh
batch (nothing running; cached prefixes, if any, hold less than half its tokens) is forwarded
whole, right-padded and so without a mask (causal attention then skips the blocks above the
diagonal), its prefill writing straight into the slot buffers, a few rows per forward, reusing a
finished batch's buffers where it fits (peak memory: one set of buffers, a fraction of the
activations); each row's keys/values are then moved right to the decode layout. When every
prompt continues one cached header (a few-shot prompt), the slots hold only the rows' own
tokens and each decode step attends to the header once for all rows (`shared_attention`),
instead of reading every row's copy of it. The layout
is rebuilt only when it must change shape: more slots at the start, fewer once nothing waits,
and dropping left columns that no row uses any more (prompts are admitted longest first, so
later rows are shorter and the left padding grows).

transformers' own continuous batching (`generate_batch`, paged attention) was measured first on
this CPU: 44.8 s for 32 prompts x 32 tokens of the smoke model, against 1.6 s for two plain
`generate` calls; it has no hook for our prefix cache either.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Sequence

import torch

from .base import Generation, GenerationConfig, cut_at_stop
from .kv_cache import KV, BufferLayer, concat, forward_on_prefixes
from .shared_attention import on_shared_prefix

TRIM_MIN = 64  # left columns unused by every row dropped once there are this many (and 1/4)
ROOM = 128  # columns allocated beyond the current width when the buffers are rebuilt
PREFILL_TOKENS = 8192  # a fresh batch is prefilled a few rows at a time, this many tokens each


def _columns(width: int, left: int) -> int:
    """Buffer columns for rows ending at column `width` with up to `left` tokens still to
    write: room beyond `width` for at least ROOM of them and at most 4 ROOM (a later rebuild
    makes more)."""
    return width + max(ROOM, min(ROOM * 4, left))


def available() -> bool:
    """Whether this transformers has the cache classes the scheduler writes into."""
    return BufferLayer is not None


@dataclass
class _Row:
    index: int  # the request's position in the call
    prompt_len: int
    stops: tuple[str, ...]
    limit: int
    context: list[int]  # prompt tokens then generated ones (for the repetition penalty)
    tokens: list[int] = field(default_factory=list)  # generated so far
    generator: torch.Generator | None = None
    offset: int = 0  # positions of the shared header before the row's own (header mode)


class _Slots:
    """The running batch's key/value buffers, attention mask and per-slot lengths."""

    def __init__(self, template: KV, device):
        self.template = [(k.shape[1], k.shape[3], k.dtype) for k, _ in template]
        self.device = device
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        self.mask = torch.zeros((0, 0), dtype=torch.long, device=device)
        self.lengths: list[int] = []  # cached tokens of each slot (0: free)
        self.n = 0  # columns in use; every slot ends at column n
        self.rebuilds = 0

    @property
    def size(self) -> int:
        return len(self.lengths)

    @property
    def room(self) -> int:
        return self.mask.shape[1]

    def rebuild(self, keep: Sequence[int], extra: int, width: int, room: int) -> None:
        """New buffers holding the slots `keep` (in that order) then `extra` free slots, each
        kept row still ending at column `width` (>= its length), `room` columns in all."""
        self.rebuilds += 1
        m = min(self.n, width)
        total = len(keep) + extra
        idx = torch.tensor(list(keep), dtype=torch.long, device=self.device)
        new_k, new_v = [], []
        for layer, (heads, dim, dtype) in enumerate(self.template):
            for old, out in ((self.keys, new_k), (self.values, new_v)):
                # only the left padding is read (masked; zeros, never garbage): new slots are
                # written whole by `put`, columns after `width` before they are attended to
                buf = torch.empty((total, heads, room, dim), dtype=dtype, device=self.device)
                buf[:len(keep), :, :width - m] = 0
                if len(keep) and m:
                    buf[:len(keep), :, width - m:width] = old[layer].index_select(0, idx)[:, :, self.n - m:self.n]
                out.append(buf)
        mask = torch.zeros((total, room), dtype=torch.long, device=self.device)
        if len(keep) and m:
            mask[:len(keep), width - m:width] = self.mask.index_select(0, idx)[:, self.n - m:self.n]
        self.keys, self.values, self.mask = new_k, new_v, mask
        self.lengths = [self.lengths[j] for j in keep] + [0] * extra
        self.n = width

    def put(self, slot: int, kv: KV) -> None:
        """Row `kv` (per layer (1, heads, L, dim), L <= n) right-aligned into a free slot."""
        length = kv[0][0].shape[-2]
        for layer, (k, v) in enumerate(kv):
            self.keys[layer][slot, :, :self.n - length] = 0
            self.keys[layer][slot, :, self.n - length:self.n] = k[0]
            self.values[layer][slot, :, :self.n - length] = 0
            self.values[layer][slot, :, self.n - length:self.n] = v[0]
        self.mask[slot] = 0
        self.mask[slot, self.n - length:self.n] = 1
        self.lengths[slot] = length

    def cache(self):
        """A DynamicCache over columns [:n]; a forward writes its new column in place."""
        from transformers import DynamicCache

        cache = DynamicCache()
        cache.layers = [BufferLayer(k, v, self.n) for k, v in zip(self.keys, self.values)]
        return cache


class Scheduler:
    """Generates for many token prompts with at most `batch_size` rows in flight."""

    def __init__(self, model, tokenizer, cfg: GenerationConfig, pad_token_id: int, batch_size: int,
                 kwarg: str, keep_arg: bool, shared_header: bool = False):
        self.model, self.tokenizer, self.cfg = model, tokenizer, cfg
        self.pad_token_id, self.batch_size = pad_token_id, batch_size
        self.kwarg, self.keep_arg = kwarg, keep_arg
        self.shared_header = shared_header  # the model passed shared_attention's self-check
        self._header: tuple[int, KV] | None = None  # (length, per-layer keys/values) in header mode
        self.device = next(model.parameters()).device
        eos = model.generation_config.eos_token_id
        self.eos = set([eos] if isinstance(eos, int) else (eos or [])) | {tokenizer.eos_token_id}
        self.eos.discard(None)
        self.stats = {"steps": 0, "prefills": 0, "rebuilds": 0, "slot_steps": 0, "header_steps": 0}
        self._processors = self._logits_processors()

    def _logits_processors(self):
        from transformers import (LogitsProcessorList, RepetitionPenaltyLogitsProcessor,
                                  TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

        cfg, out = self.cfg, LogitsProcessorList()
        # the order of transformers' generate: penalties, then temperature, top-k, top-p
        if cfg.repetition_penalty != 1.0:
            out.append(RepetitionPenaltyLogitsProcessor(cfg.repetition_penalty))
        if cfg.do_sample:
            if cfg.temperature != 1.0:
                out.append(TemperatureLogitsWarper(cfg.temperature))
            if cfg.top_k:
                out.append(TopKLogitsWarper(top_k=cfg.top_k))
            if cfg.top_p < 1.0:
                out.append(TopPLogitsWarper(top_p=cfg.top_p))
        return out

    @torch.inference_mode()
    def run(self, prompts: Sequence[list[int]], starts: Sequence[tuple[int, list[KV]]],
            stops: Sequence[tuple[str, ...]], limits: Sequence[int], seeds: Sequence[int],
            done: Callable[[int, Generation], None]) -> None:
        """Generate for every prompt; `starts[i]` = (P, KV chain of prompt i's first P tokens,
        cached) or (0, []); `done(i, generation)` as each row finishes. Prompts are admitted in
        the order given."""
        waiting = list(range(len(prompts)))[::-1]  # pop() takes the first
        rows: list[_Row | None] = []
        slots: _Slots | None = None
        self._header = self._common_header(starts) if self.shared_header else None
        while waiting or any(r is not None for r in rows):
            free = self.batch_size - sum(r is not None for r in rows)
            while waiting and free:  # (a prompt may finish at its first token: admit again)
                spare = None
                if slots is not None and all(r is None for r in rows):
                    # every row is done (a fixed-length batch ends at once): a fresh batch
                    # starts, in these buffers where it fits (no new allocation), else in new ones
                    self.stats["rebuilds"] += slots.rebuilds
                    spare, slots, rows = slots, None, []
                take = [waiting.pop() for _ in range(min(free, len(waiting)))]
                if slots is None and self._header is None and not self._worth_prefixes(take, prompts, starts):
                    if spare is not None and not self._fits(spare, [prompts[i] for i in take],
                                                            [limits[i] for i in take]):
                        spare = None  # freed before the new buffers are allocated
                    slots, rows = self._start(take, prompts, stops, limits, seeds, done, spare)
                    free = self.batch_size - sum(r is not None for r in rows)
                    continue
                spare = None
                admitted = self._prefill(take, prompts, starts, stops, limits, seeds, done)
                if admitted:
                    if slots is None:
                        slots = _Slots(admitted[0][1], self.device)
                    rows = self._admit(slots, rows, admitted)  # (empties `admitted`)
                free = self.batch_size - sum(r is not None for r in rows)
            if slots is None or all(r is None for r in rows):
                continue
            live = [j for j, r in enumerate(rows) if r is not None]
            if not waiting and len(live) <= len(rows) // 2:  # the tail: halve the batch
                width = max(slots.lengths[j] for j in live)
                slots.rebuild(live, 0, width, width + min(ROOM, self._left(rows)))
                rows = [rows[j] for j in live]
            rows = self._make_room(slots, rows)
            self._step(slots, rows, done)
        if slots is not None:
            self.stats["rebuilds"] += slots.rebuilds

    @staticmethod
    def _common_header(starts) -> tuple[int, KV] | None:
        """(length, per-layer contiguous keys/values) of the cached prefix that every prompt
        continues (a few-shot header), else None. With one, the slots hold each row's own
        tokens only and every decode step attends to the header once for all rows
        (`shared_attention.on_shared_prefix`) instead of reading each row's copy of it."""
        first = starts[0][1] if starts else None
        if not first or any(not chain or len(chain) != len(first) or
                            any(a is not b for a, b in zip(chain, first)) for _, chain in starts):
            return None
        return starts[0][0], [(k.contiguous(), v.contiguous()) for k, v in concat(list(first))]

    @staticmethod
    def _worth_prefixes(take, prompts, starts) -> bool:
        """Whether a fresh batch should start on its rows' cached prefixes: when they hold at
        least half of its prompt tokens (a few-shot header shared by every row). A prefix or
        two under a batch of long prompts (GSM8K's random exemplar draws) saves less than the
        masked attention of prefixes of unequal lengths costs, so those rows are forwarded
        whole, with the others."""
        cached = sum(starts[i][0] for i in take)
        return cached > 0 and 2 * cached >= sum(len(prompts[i]) for i in take)

    def _left(self, rows) -> int:
        return max((r.limit - len(r.tokens) for r in rows if r is not None), default=0) + 1

    def _make_room(self, slots: _Slots, rows) -> list:
        """Drop left columns no live row uses (once there are many) and make room for a step."""
        live = [j for j, r in enumerate(rows) if r is not None]
        width = max(slots.lengths[j] for j in live)
        unused = slots.n - width
        if unused >= max(TRIM_MIN, slots.n // 4) or slots.n + 1 > slots.room:
            slots.rebuild(live, 0, width, _columns(width, self._left(rows)))
            rows = [rows[j] for j in live]
        return rows

    @staticmethod
    def _room(prompts, limits) -> tuple[int, int]:
        """(width, room) of a fresh batch of these prompts."""
        width = max(len(p) for p in prompts)
        return width, _columns(width, max(limits) + 1)

    def _fits(self, spare: _Slots, prompts, limits) -> bool:
        """Whether a fresh batch of these prompts fits the buffers of `spare` (every row to its
        limit without a rebuild)."""
        width, _ = self._room(prompts, limits)
        return spare.size >= len(prompts) and spare.room >= width + max(limits) + 1

    def _start(self, take, prompts, stops, limits, seeds, done, spare: _Slots | None = None
               ) -> tuple[_Slots, list]:
        """Prefill a fresh batch (no row running, no cached prefix), its keys/values written by
        the forward straight into the slot buffers (no per-row copy of the prompt's activations):
        those of `spare` (a finished batch; its first rows) when given, else new ones. The
        prompts are right-padded, so causal attention needs no mask (it skips the blocks above
        the diagonal: ~1.3x faster on long prompts than a left-padded, masked batch), then each
        row's keys/values are moved right to end at the batch's last column, the layout of the
        decode steps. Returns the slots and the rows (None where a row finished at its first
        token)."""
        from transformers import DynamicCache

        self.stats["prefills"] += 1
        rest = [prompts[i] for i in take]
        width, room = self._room(rest, [limits[i] for i in take])
        ids = torch.full((len(rest), width), self.pad_token_id, dtype=torch.long)
        for j, r in enumerate(rest):
            ids[j, :len(r)] = torch.tensor(r, dtype=torch.long)
        positions = torch.arange(width, dtype=torch.long).expand(len(rest), width)
        b = len(rest)
        bufs = None  # per layer (keys, values), b rows
        if spare is not None:
            bufs, room = [(k[:b], v[:b]) for k, v in zip(spare.keys, spare.values)], spare.room
            del spare
        # a few rows per forward (PREFILL_TOKENS at most, padding included): a fraction of the
        # activations held at once
        per, last = max(1, PREFILL_TOKENS // width), []
        for c in range(0, b, per):
            ends = [len(r) - 1 for r in rest[c:c + per]]
            w = max(ends) + 1  # the chunk's own width
            cache = DynamicCache()
            if bufs is None:
                cache.layers, cache.layer_class_to_replicate = [], partial(BufferLayer.empty, room, b)
            else:
                cache.layers = [BufferLayer(k[c:c + per], v[c:c + per], 0) for k, v in bufs]
                cache.layer_class_to_replicate = None
            kwargs = {self.kwarg: cache, "use_cache": True}
            keep, at = self._keep(ends)
            if keep is not None:
                kwargs["logits_to_keep"] = keep
            out = self.model(input_ids=ids[c:c + per, :w].to(self.device),
                             position_ids=positions[c:c + per, :w].to(self.device), **kwargs)
            last += [out.logits[j, at[e]] for j, e in enumerate(ends)]
            if bufs is None:
                bufs = [layer.buffers for layer in cache.layers]
            del out, cache
        for j, r in enumerate(rest):  # right-align: row j ends at column `width`
            pad = width - len(r)
            if pad:
                for k, v in bufs:
                    for buf in (k, v):
                        buf[j, :, pad:width] = buf[j, :, :len(r)].clone()
                        buf[j, :, :pad] = 0  # masked, but never garbage
        slots = _Slots(bufs, self.device)
        slots.keys, slots.values = [k for k, _ in bufs], [v for _, v in bufs]
        del bufs
        last = torch.stack(last)
        slots.mask = torch.zeros((len(rest), room), dtype=torch.long, device=self.device)
        for j, r in enumerate(rest):
            slots.mask[j, width - len(r):width] = 1
        slots.lengths, slots.n = [len(r) for r in rest], width
        rows: list[_Row | None] = self._rows(take, prompts, stops, limits, seeds)
        for j, token in enumerate(self._choose(rows, last)):
            if self._append(rows[j], token, done):
                rows[j] = None
        return slots, rows

    def _keep(self, ends: Sequence[int]) -> tuple[torch.Tensor | None, dict[int, int]]:
        """`logits_to_keep` for logits at the input positions `ends` only (None where the model
        has no such argument and returns every position's), and each end's index into the
        logits the forward returns."""
        if not self.keep_arg:
            return None, {e: e for e in ends}
        keep = sorted(set(ends))
        return torch.tensor(keep, dtype=torch.long, device=self.device), {e: k for k, e in enumerate(keep)}

    def _rows(self, take, prompts, stops, limits, seeds) -> list[_Row]:
        new = []
        for i in take:
            gen = None
            if self.cfg.do_sample:
                gen = torch.Generator(device=self.device)
                gen.manual_seed(seeds[i])
            new.append(_Row(i, len(prompts[i]), tuple(s for s in stops[i] if s), limits[i],
                            list(prompts[i]), generator=gen))
        return new

    def _prefill(self, take, prompts, starts, stops, limits, seeds, done) -> list[tuple[_Row, KV]]:
        """Forward the admitted prompts (each on its cached prefix); their first token chosen.
        Rows that finish at once are reported, the others returned with their whole KV."""
        self.stats["prefills"] += 1
        chains = [starts[i][1] for i in take]
        rest = [prompts[i][starts[i][0]:] for i in take]
        keep, at = self._keep([len(r) - 1 for r in rest])
        logits, own = forward_on_prefixes(self.model, self.kwarg, chains, rest, self.pad_token_id,
                                          logits_to_keep=keep, want_kv=True)
        last = torch.stack([logits[j, at[len(r) - 1]] for j, r in enumerate(rest)])
        new = self._rows(take, prompts, stops, limits, seeds)
        out = []
        for row, token, chain, kv, (offset, _) in zip(new, self._choose(new, last), chains, own,
                                                      (starts[i] for i in take)):
            if self._append(row, token, done):
                continue
            if self._header is not None:  # the header is attended to apart: the row's own tokens
                row.offset = offset
                out.append((row, kv))
            else:
                out.append((row, concat(list(chain) + [kv])))
        return out

    def _admit(self, slots: _Slots, rows, admitted) -> list:
        free = [j for j, r in enumerate(rows) if r is None]
        width = max(slots.n, max(kv[0][0].shape[-2] for _, kv in admitted))
        if len(admitted) > len(free) or width > slots.n:
            keep = [j for j, r in enumerate(rows) if r is not None]
            live = [rows[j] for j in keep]
            extra = len(admitted)
            slots.rebuild(keep, extra, width, _columns(width, self._left(live + [r for r, _ in admitted])))
            rows = live + [None] * extra
            free = list(range(len(live), len(live) + extra))
        for slot in free[:len(admitted)]:
            row, kv = admitted.pop(0)  # each row's own copy freed once it is in its slot
            slots.put(slot, kv)
            rows[slot] = row
            del kv
        return rows

    def _step(self, slots: _Slots, rows: list, done) -> None:
        """One decode step for every slot."""
        self.stats["steps"] += 1
        self.stats["slot_steps"] += sum(r is not None for r in rows)
        n = slots.n
        # a finished row's slot (in the tail, until the batch is halved) runs on, ignored
        ids = torch.tensor([[r.tokens[-1] if r is not None else self.pad_token_id] for r in rows],
                           dtype=torch.long, device=self.device)
        # (a finished slot's position stays 0: its token is ignored, and may run past max_length)
        positions = torch.tensor([[length + r.offset if r is not None else 0] for length, r in zip(slots.lengths, rows)],
                                 dtype=torch.long, device=self.device)
        slots.mask[:, n] = 1
        kwargs = {self.kwarg: slots.cache(), "use_cache": True}
        if self.keep_arg:
            kwargs["logits_to_keep"] = 1
        if self._header is not None:
            self.stats["header_steps"] += 1
            out = on_shared_prefix(self.model, self._header[1], slots.mask[:, :n + 1], input_ids=ids,
                                   position_ids=positions, **kwargs)
        else:
            out = self.model(input_ids=ids, attention_mask=slots.mask[:, :n + 1], position_ids=positions, **kwargs)
        slots.n = n + 1
        slots.lengths = [length + 1 for length in slots.lengths]
        live = [j for j, r in enumerate(rows) if r is not None]
        logits = out.logits[:, -1]
        if len(live) < len(rows):
            logits = logits[torch.tensor(live, device=logits.device)]
        for j, token in zip(live, self._choose([rows[j] for j in live], logits)):
            if self._append(rows[j], token, done):
                rows[j] = None

    def _choose(self, rows: Sequence[_Row], logits: torch.Tensor) -> list[int]:
        scores = logits.float()
        if self._processors:
            width = max(len(r.context) for r in rows)
            # each row's own tokens, padded with its first one (a repeat changes nothing)
            ids = torch.tensor([r.context + [r.context[0]] * (width - len(r.context)) for r in rows],
                               dtype=torch.long, device=scores.device)
            scores = self._processors(ids, scores)
        if not self.cfg.do_sample:
            return scores.argmax(-1).tolist()
        probs = torch.softmax(scores, dim=-1)
        return [int(torch.multinomial(probs[j], 1, generator=r.generator)) for j, r in enumerate(rows)]

    def _append(self, row: _Row, token: int, done) -> bool:
        """Add a generated token; True (and `done` called) when the row has finished."""
        row.tokens.append(token)
        row.context.append(token)
        n = len(row.tokens)
        finished = token in self.eos or n >= row.limit
        text = None
        if not finished and row.stops:
            text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
            finished = any(s in text for s in row.stops)
        if finished:
            if text is None:
                text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
            done(row.index, Generation(cut_at_stop(text, row.stops),
                                       usage={"prompt_tokens": row.prompt_len, "completion_tokens": n}))
        return finished
