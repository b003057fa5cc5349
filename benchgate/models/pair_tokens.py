"""Token ids of loglikelihood contexts and of context + continuation, as lm-eval encodes them
(each string whole), with each long context encoded once.

lm-eval tokenizes `context + continuation` whole for every choice (an MMLU sample: four times
the whole few-shot prompt). Here the context is encoded once, with offsets; the whole string is
then `context tokens[:t] + tokens(context[o:] + continuation)`, where token t starts at
character o (where token t - 1 ends), at least `TAIL_CHARS` characters before the context's end. That holds when o is a
boundary the tokenizer never merges across: its pre-tokenizer splits the text into pieces first
(BPE never merges across pieces), and a piece boundary that far from the end does not depend
on what follows the context. It is checked for each context: `tokens(context[o:])` must equal
`context tokens[t:]`; where it does not (a tokenizer that prefixes a space to every text,
adds an end token, has no pre-tokenizer, or is not a fast one), the whole string is encoded.
"""
from __future__ import annotations

from typing import Sequence

TAIL_CHARS = 64  # how far before the context's end a split may be


def _split_point(ids: list[int], offsets: list[tuple[int, int]], text: str) -> tuple[int, int] | None:
    """(t, o): the last token t that starts at least TAIL_CHARS characters before the end of
    `text`, and o, where the token before it ends (tokenizers that trim offsets leave a leading
    space out of a token's span, not out of its ids); None if there is none."""
    limit = len(text) - TAIL_CHARS
    for t in range(len(ids) - 1, 0, -1):
        start, end = offsets[t]
        before = offsets[t - 1][1]
        if start <= 0 or before <= 0:
            return None
        if end > start and before <= start and before <= limit:
            return t, before
    return None


def _can_split(tokenizer) -> bool:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return bool(getattr(tokenizer, "is_fast", False)) and backend is not None \
        and backend.pre_tokenizer is not None


def encode_pairs(tokenizer, pairs: Sequence[tuple[str, str]], add_special_tokens: bool
                 ) -> tuple[dict[str, list[int]], dict[tuple[str, str], list[int]], int]:
    """(tokens of each distinct non-empty context, tokens of each distinct (context,
    continuation) pair's whole string `context + continuation`, how many contexts were split).
    `verbose=False`: a context past the tokenizer's model_max_length is expected (the backend
    left-truncates it to its window), so transformers' warning about it is not printed."""
    contexts = sorted({c for c, _ in pairs if c})
    wanted = sorted({(c, k) for c, k in pairs if c})
    if not contexts:
        return {}, {}, 0
    splits: dict[str, tuple[int, int]] = {}
    if _can_split(tokenizer):
        enc = tokenizer(contexts, add_special_tokens=add_special_tokens, return_offsets_mapping=True,
                        verbose=False)
        ctx_ids = dict(zip(contexts, enc["input_ids"]))
        for c, ids, offsets in zip(contexts, enc["input_ids"], enc["offset_mapping"]):
            split = _split_point(ids, offsets, c)
            if split is not None:
                splits[c] = split
    else:
        ctx_ids = dict(zip(contexts, tokenizer(contexts, add_special_tokens=add_special_tokens,
                                                   verbose=False)["input_ids"]))
    tails = sorted({c[splits[c][1]:] for c in splits} | {c[splits[c][1]:] + k for c, k in wanted if c in splits})
    tail_ids = dict(zip(tails, tokenizer(tails, add_special_tokens=False, verbose=False)["input_ids"])) if tails else {}
    good = {c for c, (t, o) in splits.items() if tail_ids[c[o:]] == ctx_ids[c][t:]}
    whole: dict[tuple[str, str], list[int]] = {}
    rest = [(c, k) for c, k in wanted if c not in good]
    if rest:
        encoded = tokenizer([c + k for c, k in rest], add_special_tokens=add_special_tokens,
                            verbose=False)["input_ids"]
        whole.update(zip(rest, encoded))
    for c, k in wanted:
        if c in good:
            t, o = splits[c]
            whole[(c, k)] = ctx_ids[c][:t] + tail_ids[c[o:] + k]
    return ctx_ids, whole, len(good)
