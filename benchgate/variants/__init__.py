"""Dynamic variants of benchmarks: seeded rewrites of items that keep the ability they test and
change what memory would need (GSM8K numbers, permuted or replaced multiple-choice options),
each with its gold answer recomputed."""
