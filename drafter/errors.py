"""Errors a user can act on; the CLI prints their message on one line and exits non-zero."""


class DrafterError(Exception):
    """Base class: the message is meant for the user, not a traceback."""

    exit_code = 1


class SettingsError(DrafterError):
    """A DRAFTER_* setting has a bad value."""

    exit_code = 2


class InputError(DrafterError):
    """A question, query or file the user gave cannot be used."""

    exit_code = 2


class StoreMissingError(DrafterError):
    """The knowledge base has not been built yet."""

    exit_code = 3


class BackendUnavailableError(DrafterError):
    """A server we depend on (Chroma, an LLM or embedding API) does not answer."""

    exit_code = 4
