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


class PermissionDeniedError(DrafterError):
    """The signed-in user's role does not allow the action, or the login is wrong."""

    exit_code = 5


class AuditChainError(DrafterError):
    """`drafter audit verify` found a row of the audit log edited, removed or back-dated."""

    exit_code = 7


class SignInExpiredError(PermissionDeniedError):
    """A sign-in outlived its lifetime: the user signs in again."""


class EditConflictError(DrafterError):
    """Someone saved the draft after the editor opened it. Both versions are kept."""

    exit_code = 6

    def __init__(self, message: str, saved_as: int, latest: int) -> None:
        super().__init__(message)
        self.saved_as = saved_as
        self.latest = latest
