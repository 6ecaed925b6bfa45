"""`python -m drafter`: the same as the `drafter` command."""

from drafter.cli.main import main

raise SystemExit(main())
