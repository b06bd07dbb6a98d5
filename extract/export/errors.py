"""The one error a user's bad upload raises: refused, quarantined, with a one-line reason."""


class UploadRefused(Exception):
    """The upload was refused; `str(error)` is the one-line reason shown to the user."""

    def __init__(self, reason: str, upload_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.upload_id = upload_id
