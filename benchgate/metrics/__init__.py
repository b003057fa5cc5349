"""benchgate.metrics: pure metric functions (no pytest, no I/O).

Every public function validates its input and raises ``ValueError`` with a message on bad input
(empty lists, NaN, mismatched lengths, k > n, ...). See docs/metrics.md for each metric's formula,
the reference implementation it matches and the tolerance.
"""

from .bleu import corpus_bleu, detect_tokenizer, sentence_bleu
from .elo import (
    BradleyTerryResult,
    battle_count_matrix,
    bradley_terry,
    bradley_terry_fit,
    online_elo,
    predict_win_rate,
    win_rate_matrix,
)
from .passk import pass_at_k, pass_at_k_table
from .perplexity import (
    bits_per_byte,
    corpus_perplexities,
    count_bytes,
    count_words,
    perplexities,
    weighted_perplexity,
)
from .rouge import rouge, rouge_corpus
from .significance import PairedTestResult, mcnemar_exact, paired_bootstrap, paired_test
from .stats import (
    aggregate_groups,
    bootstrap_ci,
    bootstrap_stderr,
    bootstrap_stderr_items,
    confidence_interval,
    macro_average,
    mean,
    mean_stderr,
    micro_average,
    wilson_interval,
)
from .text import em_f1, exact_match, f1_score, lm_eval_exact_match, normalize_answer

__all__ = [
    # stats
    "mean",
    "mean_stderr",
    "confidence_interval",
    "wilson_interval",
    "bootstrap_stderr",
    "bootstrap_ci",
    "bootstrap_stderr_items",
    "micro_average",
    "macro_average",
    "aggregate_groups",
    # significance
    "PairedTestResult",
    "mcnemar_exact",
    "paired_bootstrap",
    "paired_test",
    # text
    "normalize_answer",
    "exact_match",
    "lm_eval_exact_match",
    "f1_score",
    "em_f1",
    # bleu / rouge
    "sentence_bleu",
    "corpus_bleu",
    "detect_tokenizer",
    "rouge",
    "rouge_corpus",
    # pass@k
    "pass_at_k",
    "pass_at_k_table",
    # perplexity
    "perplexities",
    "corpus_perplexities",
    "weighted_perplexity",
    "bits_per_byte",
    "count_words",
    "count_bytes",
    # arena
    "online_elo",
    "bradley_terry",
    "bradley_terry_fit",
    "BradleyTerryResult",
    "win_rate_matrix",
    "battle_count_matrix",
    "predict_win_rate",
]
