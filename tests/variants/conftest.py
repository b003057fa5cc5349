"""The report tests' chromium page fixtures, for the compare view of a variant run."""
from tests.reports.conftest import chromium, open_page  # noqa: F401 - fixtures used here
