"""benchgate: pytest-native evaluation of large language models."""
__version__ = "0.1.0"

from benchgate.cases import Case, load_cases  # noqa: E402  (the hand-written evals' API)

__all__ = ["Case", "load_cases", "__version__"]
