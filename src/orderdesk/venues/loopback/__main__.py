"""``python -m orderdesk.venues.loopback``: serve the paper venue."""

import sys

from orderdesk.venues.loopback.cli import main

sys.exit(main())
