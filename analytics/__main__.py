"""`python -m analytics`: see analytics/cli.py."""
from analytics.cli import main

raise SystemExit(main())
