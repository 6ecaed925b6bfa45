"""`python -m drafter.cli`."""

import sys

from drafter.cli.main import main

sys.exit(main())
