"""MATH (Hendrycks et al., 2021), "competition math": 5,000 test problems in 7 subjects, levels 1-5.

Default: lm-evaluation-harness `minerva_math` v3.1 (Lewkowycz et al., 2022, appendix D.2): the
fixed 4-shot Minerva prompt ("Problem:\\n...\\n\\nSolution: ... Final Answer: The final answer
is $X$. I hope it is correct."), greedy generation stopped at "Problem:". The answer is Minerva's
final-answer sentence, else the last \\boxed{...}; it is compared with the last \\boxed{...} of
the reference solution by `benchgate.math_equiv.math_equal` (Minerva normalisation, then
math-verify equivalence). Subsets are the 7 subjects; each problem's level is its category
("Level 1".."Level 5"), so results.json has the per-level table of the published breakdowns. Dataset arg `selection: "math500"`
restricts every subject to the MATH-500 problems (Lightman et al., 2023; id list in the data
folder), keeping each problem's index (its file number) so results compare with the full set.
"""
from __future__ import annotations

import re
from pathlib import Path

from benchgate.argspec import Arg
from benchgate.benchmark import Benchmark, DataError, DataMissing, RunContext, Sample, Scored
from benchgate.data.files import dataset_folder, read_json, read_text, to_samples
from benchgate.math_equiv import extract_math_answer, last_boxed, math_equal
from benchgate.models.base import GenerateRequest

SUBJECTS = ("algebra", "counting_and_probability", "geometry", "intermediate_algebra",
            "number_theory", "prealgebra", "precalculus")
STOP = ("Problem:",)
SELECTIONS = ("full", "math500")
_LEVEL = re.compile(r"^Level ([1-5])$")

# lm-evaluation-harness minerva_math `list_fewshot_samples` (v3.1), character for character
# (tests/evals/test_competition_math.py compares them with lm-eval's own list).
MINERVA_SHOTS = [
    ("Find the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.",
     "The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge 0$, so "
     "$x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot be equal to zero, "
     "so $5-x>0$, which gives $x<5$. Therefore, the domain of the expression is $\\boxed{[2,5)}$.\n"
     "Final Answer: The final answer is $[2,5)$. I hope it is correct."),
    ("If $\\det \\mathbf{A} = 2$ and $\\det \\mathbf{B} = 12,$ then find "
     "$\\det (\\mathbf{A} \\mathbf{B}).$",
     "We have that $\\det (\\mathbf{A} \\mathbf{B}) = (\\det \\mathbf{A})(\\det \\mathbf{B}) = "
     "(2)(12) = \\boxed{24}.$\nFinal Answer: The final answer is $24$. I hope it is correct."),
    ("Terrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weights "
     "instead, how many times must Terrell lift them in order to lift the same total weight?",
     "If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot 12\\cdot20=480$ "
     "pounds of weight.  If he lifts two 15-pound weights instead for $n$ times, he will lift a "
     "total of $2\\cdot15\\cdot n=30n$ pounds of weight.  Equating this to 480 pounds, we can "
     "solve for $n$:\n\\begin{align*}\n30n&=480\\\\\n\\Rightarrow\\qquad n&=480/30=\\boxed{16}\n"
     "\\end{align*}\nFinal Answer: The final answer is $16$. I hope it is correct."),
    ("If the system of equations\n\n\\begin{align*}\n6x-4y&=a,\\\\\n6y-9x &=b.\n\\end{align*}has a "
     "solution $(x, y)$ where $x$ and $y$ are both nonzero,\nfind $\\frac{a}{b},$ assuming $b$ is "
     "nonzero.",
     "If we multiply the first equation by $-\\frac{3}{2}$, we obtain\n\n$$6y-9x=-\\frac{3}{2}a.$$"
     "Since we also know that $6y-9x=b$, we have\n\n$$-\\frac{3}{2}a=b\\Rightarrow\\frac{a}{b}="
     "\\boxed{-\\frac{2}{3}}.$$\nFinal Answer: The final answer is $-\\frac{2}{3}$. I hope it is "
     "correct."),
]


def _convert(row: dict) -> tuple[dict, str]:
    problem, solution, level = row["problem"], row["solution"], row["level"]
    if not isinstance(problem, str) or not isinstance(solution, str):
        raise ValueError("'problem' and 'solution' must be strings")
    m = _LEVEL.match(str(level))
    if m is None:
        raise ValueError(f"level must be 'Level 1'..'Level 5', got {level!r}")
    answer = last_boxed(solution)
    if answer is None or not answer.strip():
        raise ValueError("the solution has no \\boxed{...} final answer")
    return {"problem": problem, "solution": solution, "level": int(m.group(1)),
            "type": row["type"]}, answer


def _read_problems(paths: list[tuple[int, Path]]):
    """(problem number, object | DataError, "file:line") of each per-problem JSON file: an
    unreadable file fails that problem only."""
    for number, path in paths:
        where = f"{path}:1"
        try:
            obj, _ = read_json(path)
        except DataError as e:
            yield number, e, where
            continue
        yield number, obj if isinstance(obj, dict) else DataError(f"{where}: expected a JSON object"), where


def local_folder(ctx: RunContext, name: str) -> Path:
    """The local data folder; this benchmark is not wired to a hub."""
    if ctx.dataset_hub != "local":
        raise DataMissing(f"{name}: only local data is supported (no {ctx.dataset_hub} copy is wired); "
                        f"pass --dataset-dir with a folder that contains {name}/")
    return dataset_folder(ctx, name)


class CompetitionMath(Benchmark):
    name = "competition_math"
    modes = ("generate",)
    primary_metric = "acc"
    default_args = {
        "few_shot_num": Arg(4, int, min=0, max=len(MINERVA_SHOTS), help="Minerva exemplars"),
        "selection": Arg("full", str, choices=SELECTIONS, help="all problems or MATH-500"),
    }

    def _root(self, ctx: RunContext) -> Path:
        return local_folder(ctx, "competition_math")

    def _math500(self, ctx: RunContext) -> dict[str, set[int]]:
        def build() -> dict[str, set[int]]:
            path = self._root(ctx) / "math500_unique_ids.txt"
            if not path.is_file():
                raise DataError(f"{path}: file not found (needed for selection 'math500')")
            chosen: dict[str, set[int]] = {}
            for line_no, line in enumerate(read_text(path).splitlines(), 1):
                if not line.strip():
                    continue
                m = re.fullmatch(r"test/(\w+)/(\d+)\.json", line.strip())
                if m is None:
                    raise DataError(f"{path}:{line_no}: expected test/<subject>/<n>.json, got {line!r}")
                chosen.setdefault(m.group(1), set()).add(int(m.group(2)))
            return chosen
        return ctx.cached(("competition_math", "math500"), build)

    def subsets(self, ctx: RunContext) -> list[str]:
        folder = self._root(ctx) / "MATH" / "test"
        found = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        if not found:
            raise DataError(f"{folder}: no subject folders")
        return found

    def load(self, ctx: RunContext, subset: str) -> list[Sample]:
        folder = self._root(ctx) / "MATH" / "test" / subset
        paths = []
        for p in folder.glob("*.json"):
            if not p.stem.isdigit():
                raise DataError(f"{p}: expected a numbered problem file <n>.json")
            paths.append((int(p.stem), p))
        paths.sort()
        if ctx.args["selection"] == "math500":
            keep = self._math500(ctx).get(subset, set())
            paths = [(n, p) for n, p in paths if n in keep]
        return to_samples(self.name, subset, _read_problems(paths), _convert)

    def prompt(self, ctx: RunContext, sample: Sample) -> str:
        shots = MINERVA_SHOTS[: ctx.args["few_shot_num"]]
        head = "".join(f"Problem:\n{p}\n\nSolution: {s}\n\n" for p, s in shots)
        return f"{head}Problem:\n{sample.data['problem']}\n\nSolution:"

    def requests(self, ctx: RunContext, sample: Sample):
        oracle = (f" {sample.data['solution']}\nFinal Answer: The final answer is "
                  f"${sample.target}$. I hope it is correct.")
        return [GenerateRequest(self.prompt(ctx, sample), stop=STOP, oracle=oracle)]

    def score(self, ctx: RunContext, sample: Sample, outputs) -> Scored:
        answer = extract_math_answer(outputs[0].text)
        return Scored(answer, {"acc": float(math_equal(answer, sample.target))})

    def categories(self, ctx: RunContext, sample: Sample) -> list[str]:
        level = sample.data.get("level")  # absent on a malformed row
        return [f"Level {level}"] if level else []


BENCHMARK = CompetitionMath()
