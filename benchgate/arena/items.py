"""pytest items of the arena suite: one test per judged unit, id
``arena/<question_id>/<model_a>-vs-<model_b>`` (single mode ``arena/<question_id>/<model>``).

A unit's test reads its outcome from the group prefetch (answers, then every judgment of the
group in one batched call), records it and passes; a verdict that does not parse is a recorded
parse failure, not a failed test. It fails on a real error: a candidate or judge call that
broke, an answer missing from an answer file.
"""
from __future__ import annotations

import pytest

from benchgate.arena.plan import Unit
from benchgate.arena.records import unit_record
from benchgate.engine.items import SampleError


class ArenaFile(pytest.File):
    """evals/arena/arena.py: yields one ArenaItem per unit of --arena-config."""

    def collect(self):
        from benchgate.engine.state import get_state

        session = get_state(self.config).arena
        if session is None:
            raise self.CollectError("the arena suite needs --arena-config CONFIG.yaml "
                                    "(see docs/arena.md)")
        for unit in session.units:
            yield ArenaItem.from_parent(self, name=unit.id, unit=unit, group=session.group_of(unit))


class ArenaItem(pytest.Item):
    """One judged unit."""

    def __init__(self, *, unit: Unit, group: tuple, **kwargs):
        super().__init__(**kwargs)
        self.unit = unit
        self.group = group
        self.outcome = None
        self.ran = False
        self.extra_keyword_matches.update(unit.models)
        self.extra_keyword_matches.update((unit.question.category, f"q{unit.question.id}"))

    def runtest(self) -> None:
        from benchgate.engine.state import get_state

        session = get_state(self.config).arena
        outcome = session.outcome_for(self)
        self.outcome, self.ran = None, True  # free memory as soon as the unit is done
        if outcome.error:
            fatal = get_state(self.config).fatal
            if fatal:  # a candidate or judge cannot be used: stop here, not one failure per unit
                self.session.shouldstop = f"benchgate: {fatal}"
            raise SampleError(f"{self.unit.id}: {outcome.error}")
        record = unit_record(outcome, str(self.path), session.config.reviewer.swap_rule)
        self.config.hook.pytest_benchgate_record(record=record, item=self)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, SampleError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, self.unit.id
