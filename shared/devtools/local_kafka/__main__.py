"""``python -m shared.devtools.local_kafka start|stop|status``: see cli.py."""

import sys

from shared.devtools.local_kafka.cli import main

sys.exit(main())
