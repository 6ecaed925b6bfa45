"""The drafter command: one registry of commands, one module per command group."""
