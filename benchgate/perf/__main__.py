"""`python -m benchgate.perf ...` (same as `benchgate perf ...`)."""
from .cli import main

raise SystemExit(main())
