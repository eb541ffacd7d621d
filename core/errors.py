"""Errors that carry a message meant for the user, never a traceback."""


class WordlensError(Exception):
    """Base class: the message is complete and can be shown as is."""


class LoadError(WordlensError):
    """A model or vectors source is missing, unreadable or of the wrong kind."""


class InputError(WordlensError):
    """A query the engine cannot answer (unknown word, layer out of range...)."""


class Cancelled(Exception):
    """Raised inside a computation when its caller no longer wants the result."""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message: enough to say what went wrong."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
