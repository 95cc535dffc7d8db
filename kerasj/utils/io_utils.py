"""Where kerasj's messages go: stdout while interactive logging is on (the default), `absl.logging` otherwise,
as `keras.utils.enable_interactive_logging` / `disable_interactive_logging` switch them in Keras 3.

    >>> kerasj.utils.disable_interactive_logging()   # progress bars now go to absl.logging.info
    >>> kerasj.utils.is_interactive_logging_enabled()
    False
"""
import sys

from absl import logging

_interactive_logging = True


def enable_interactive_logging():
    """Send kerasj's logs (progress bars, epoch lines) to stdout: best in a shell or a notebook.

    >>> kerasj.utils.enable_interactive_logging()
    """
    global _interactive_logging
    _interactive_logging = True


def disable_interactive_logging():
    """Send kerasj's logs to `absl.logging` instead of stdout: best for jobs running on a server.

    >>> kerasj.utils.disable_interactive_logging()
    """
    global _interactive_logging
    _interactive_logging = False


def is_interactive_logging_enabled():
    """`True` while logs go to stdout (the default), `False` after `disable_interactive_logging()`.

    >>> kerasj.utils.is_interactive_logging_enabled()
    True
    """
    return _interactive_logging


def print_msg(message, line_break=True):
    """Write `message` to stdout (flushed, so partial lines show), or log it with `absl.logging.info`.

    Logged messages drop the backspaces and carriage returns that redraw a line in a terminal.
    """
    message = str(message)
    if _interactive_logging:
        sys.stdout.write(f"{message}\n" if line_break else message)
        sys.stdout.flush()
        return
    text = message.replace("\b", "").replace("\r", "").strip("\n")
    if text:
        logging.info(text)
