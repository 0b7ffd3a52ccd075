"""Errors that actions raise and views turn into a message for the user."""


class ActionRefused(Exception):
    """An action declined to change anything; `message` says why, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
