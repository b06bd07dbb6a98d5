"""Calling the function app's triggers the way the host does: real binding objects, no host."""

from __future__ import annotations

import function_app


class Out:
    """A func.Out[str]: the host hands the function an object with set/get."""

    def __init__(self):
        self.value = None

    def set(self, value):
        self.value = value

    def get(self):
        return self.value


def handler(name):
    """The user function behind a trigger, as the worker calls it."""
    return getattr(function_app, name).build().get_user_function()
