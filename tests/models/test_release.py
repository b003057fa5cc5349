"""`drop_model`: the model and its holders dropped; a full collection only for a model that a
reference cycle still holds; a second call does nothing."""
from __future__ import annotations

import gc
import weakref

import pytest

from benchgate.models.release import drop_model


class _Model:
    pass


class _Owner:
    def __init__(self, cycle: bool) -> None:
        self.model = _Model()
        self.cache = {"model": self.model}  # a holder, as a prefix cache holds the model
        if cycle:
            self.model.me = self.model


@pytest.mark.parametrize("cycle", [False, True])
def test_drop_model_frees_by_reference_counting_and_collects_only_a_cycle(monkeypatch, cycle):
    owner = _Owner(cycle)
    model = weakref.ref(owner.model)
    collect, calls = gc.collect, []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or collect(*a))
    gc.disable()
    try:
        drop_model(owner, "cache")
        assert owner.model is None and owner.cache is None
        assert model() is None
        assert len(calls) == cycle
        drop_model(owner, "cache")
        assert len(calls) == cycle
    finally:
        gc.enable()


def test_a_holder_left_out_keeps_the_model_and_costs_a_collection(monkeypatch):
    owner = _Owner(cycle=False)
    model = weakref.ref(owner.model)
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a))
    drop_model(owner)
    assert model() is not None and len(calls) == 1
