"""The reference for the IFEval checkers: lm-evaluation-harness's own `ifeval` code (the test
extra pins lm_eval 0.4.13), run offline.

lm-eval's instructions_util downloads NLTK's punkt_tab at import unless NLTK finds it; the
fixture writes the English punkt_tab files (NLTK's text format) from the tables benchgate ships
with (`punkt.data.english`) into a temporary NLTK data folder first, so the reference runs
NLTK's own loader and PunktTokenizer on them without the network. langdetect is seeded (0) on
both sides: unseeded, it answers borderline texts at random."""
from __future__ import annotations

import json

import pytest

from tests.conftest import SAFETY


def write_punkt_tab(root) -> None:
    from punkt.data import english

    folder = root / "tokenizers" / "punkt_tab" / "english"
    folder.mkdir(parents=True)
    (folder / "abbrev_types.txt").write_text("".join(f"{a}\n" for a in sorted(english.ABBREV_TYPES)), "utf-8")
    (folder / "sent_starters.txt").write_text("".join(f"{s}\n" for s in sorted(english.SENT_STARTERS)), "utf-8")
    (folder / "collocations.tab").write_text("".join(f"{a}\t{b}\n" for a, b in sorted(english.COLLOCATIONS)),
                                             "utf-8")
    (folder / "ortho_context.tab").write_text("".join(f"{k}\t{v}\n" for k, v in sorted(english.ORTHO_CONTEXT.items())),
                                              "utf-8")


class Reference:
    """lm-eval's ifeval utils.process_results inputs/outputs for one prompt and response."""

    def __init__(self, utils):
        self.utils = utils

    def follows(self, row: dict, response: str, loose: bool = False) -> list[bool | None]:
        """The reference's verdicts; None where the reference answers at random (a letter_frequency
        `letter` that is not a-z: it draws a random letter)."""
        inp = self.utils.InputExample(key=row["key"], instruction_id_list=row["instruction_id_list"],
                                      prompt=row["prompt"], kwargs=row["kwargs"])
        test = self.utils.test_instruction_following_loose if loose else self.utils.test_instruction_following_strict
        verdicts = test(inp, response).follow_instruction_list
        return [None if random_in_reference(iid, kw) else v
                for iid, kw, v in zip(row["instruction_id_list"], row["kwargs"], verdicts)]


def random_in_reference(iid: str, kw: dict) -> bool:
    letter = str(kw.get("letter", "a")).strip().lower()
    return iid == "keywords:letter_frequency" and not (len(letter) == 1 and "a" <= letter <= "z")


def comparable(row: dict, verdicts: list[bool]) -> list[bool | None]:
    """Our verdicts with None where the reference's are random."""
    return [None if random_in_reference(iid, kw) else v
            for iid, kw, v in zip(row["instruction_id_list"], row["kwargs"], verdicts)]


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    import nltk
    from langdetect import DetectorFactory

    root = tmp_path_factory.mktemp("nltk_data")
    write_punkt_tab(root)
    nltk.data.path.insert(0, str(root))
    DetectorFactory.seed = 0
    from lm_eval.tasks.ifeval import utils  # its import looks for punkt_tab: found in `root`

    return Reference(utils)


@pytest.fixture(scope="session")
def ifeval_rows() -> list[dict]:
    path = SAFETY / "ifeval" / "input_data.jsonl"
    if not path.is_file():
        pytest.fail(f"IFEval data not found at {path} (set BENCHGATE_SAFETY_DIR)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
