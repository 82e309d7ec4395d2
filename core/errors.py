from typing import Any


class ApplicationError(Exception):
    """A rule of the domain refused the request; the message is shown to the user.

    `field` names the input at fault, so forms and the API can point at it.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid", extra: Any = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.extra = extra
