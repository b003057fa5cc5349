"""The arena suite's test file: its tests are the judged units of --arena-config, built by
benchgate.arena.items.ArenaFile (see conftest.py), not functions of this module.

    pytest evals/arena --arena-config cfg_arena.yaml [--dry-run] [-n 2] [-k MODEL] \
        [--judge-api-url URL] [--use-cache] [--output-dir DIR] [--gate arena/MODEL:win_rate_ties_half=0.5]
"""
