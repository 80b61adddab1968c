"""`python -m workers.cli`: the same entry point as the `iquest` script."""

from workers.cli import main

raise SystemExit(main())
