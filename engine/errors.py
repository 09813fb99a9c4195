"""Errors that reach a user: HTTP errors with one JSON shape."""


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message", "field"}}`."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 **details):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        # Keys added to the shape by routes that have more to say (never replacing the three).
        self.details = details

    def to_dict(self) -> dict:
        """Render the one JSON error shape of every route."""
        return {"error": {"code": self.code, "message": self.message, "field": self.field,
                          **self.details}}
