from typing import Any

# A refused rule is a 400, except where HTTP has a more exact word for it (pages and the API alike).
HTTP_STATUS = {"forbidden": 403, "not_found": 404, "conflict": 409, "gone": 410}


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

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)
