"""A pytest plugin (`-p tests.integration.forbid_model_load`) for runs that must not load a
local model: building an HFBackend raises, in the controller and in every xdist worker."""
from benchgate.models import hf


def _refuse(self, *args, **kwargs):
    raise RuntimeError("forbid_model_load: the model was loaded")


hf.HFBackend.__init__ = _refuse
