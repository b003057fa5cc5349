"""A pytest plugin (`-p tests.integration.forbid_model_load`) for runs that must not load a
local model: building an HFBackend raises, in the controller and in every xdist worker. The
patch lasts from configure to unconfigure, so a run in the test process leaves HFBackend as it
found it for the tests after it."""
import pytest

from benchgate.models import hf

_ORIGINAL = pytest.StashKey[object]()


def _refuse(self, *args, **kwargs):
    raise RuntimeError("forbid_model_load: the model was loaded")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ORIGINAL] = hf.HFBackend.__init__
    hf.HFBackend.__init__ = _refuse


def pytest_unconfigure(config: pytest.Config) -> None:
    if _ORIGINAL in config.stash:
        hf.HFBackend.__init__ = config.stash[_ORIGINAL]
