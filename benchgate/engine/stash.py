"""Where a pytest process keeps its run state (`benchgate.engine.state.EvalState`): the
config's stash. The engine's lower modules (collection items) find the state here without
importing `state`, which builds on them (docs/architecture.md)."""
from __future__ import annotations

from typing import Any

import pytest

STATE_KEY = pytest.StashKey[Any]()  # -> benchgate.engine.state.EvalState


def get_state(config: pytest.Config) -> Any:
    """The run state of this pytest process (an `EvalState`, set by the plugin at configure)."""
    return config.stash[STATE_KEY]
