"""A text progress bar that prints what Keras 3 prints.

`verbose=1` redraws one line per refresh (at most one refresh per `interval` seconds, plus the final one):

    12/100 ━━━━━━━━━━━━━━━━━━━━ 3s 40ms/step - accuracy: 0.8125 - loss: 0.4012

`verbose=2` prints only a summary line when the bar is finalized:

    100/100 - 4s - 40ms/step - accuracy: 0.8125 - loss: 0.4012

Logged values may be Python numbers, numpy scalars or (lazy) JAX arrays. They are stored untouched and only
turned into Python floats when a line is actually drawn, so updating the bar every step does not force the
host to wait for the device every step.
"""
import os
import re
import sys
import time

import numpy as np

from kerasj.utils.io_utils import is_interactive_logging_enabled, print_msg

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_BAR_CHAR = "\u2501"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def write(message):
    """Write `message` to the current stdout and flush, so partial lines appear immediately; with interactive
    logging disabled (`kerasj.utils.disable_interactive_logging()`), log it to absl.logging instead."""
    print_msg(message, line_break=False)


def is_interactive():
    """Whether in-place redraws (backspaces and carriage returns) render: a terminal or a notebook, while
    interactive logging is on (absl.logging records cannot be redrawn)."""
    if not is_interactive_logging_enabled():
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        tty = bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        tty = False
    return tty or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def format_step_time(seconds, unit_name):
    """`" 40ms/step"`: seconds per unit in s, ms or us, rounded to a whole number."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds):
    """Remaining time as `h:mm:ss`, `m:ss` or `Ns`, truncated to whole seconds."""
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def format_value(value):
    """A logged value as text: 4 decimals, or scientific notation for tiny magnitudes."""
    if isinstance(value, str):
        return value
    number = float(_mean(value))
    return f"{number:.4f}" if abs(number) > 1e-3 else f"{number:.4e}"


def _mean(value):
    # Non-scalar logged values (a per-class metric, say) are summarised by their mean.
    array = np.asarray(value)
    return array if array.ndim == 0 else array.mean()


class Progbar:
    """Displays a progress bar in the Keras 3 format.

    Args:
        target: total number of steps expected, or None if unknown.
        width: width of the bar in characters.
        verbose: 0 (silent), 1 (a bar redrawn as it advances) or 2 (one line when finalized).
        interval: minimum time in seconds between two redraws (the final draw is never skipped).
        stateful_metrics: names of values displayed as given. All other values are averaged over the
            steps seen so far (weighted by how many steps each update covered).
        stateless_metrics: alternatively, names of the values to average; all others are displayed as
            given. Pass at most one of `stateful_metrics` and `stateless_metrics`.
        unit_name: name of one step in the "per step" timing ("step", "sample").

    Example:

        >>> bar = Progbar(target=3)
        >>> for step in range(3):
        ...     bar.update(step + 1, [("loss", 0.5)])
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar: pass at most one of `stateful_metrics` and `stateless_metrics`; "
                             f"received stateful_metrics={stateful_metrics!r}, "
                             f"stateless_metrics={stateless_metrics!r}.")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: `verbose` must be 0, 1 or 2; received {verbose!r}.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._dynamic_display = is_interactive()
        # name -> [weighted sum, weight]; insertion order is display order.
        self._values = {}
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _is_stateful(self, name):
        if self.stateless_metrics is not None:
            return name not in self.stateless_metrics
        return name in self.stateful_metrics

    def update(self, current, values=None, finalize=None):
        """Advance the bar to step `current` and record `values`, a list of `(name, value)` pairs.

        `finalize` (default: whether `current` reached `target`) draws the final line. Values given with the
        final update are displayed as given.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if finalize or self._is_stateful(name) or isinstance(value, str):
                self._values[name] = [value, 1]
            else:
                # Weight by the steps this update covers, so skipping steps does not skew the average.
                steps = max(current - self._seen_so_far, 1)
                if name in self._values:
                    total, count = self._values[name]
                    self._values[name] = [total + value * steps, count + steps]
                else:
                    self._values[name] = [value * steps, steps]
        self._seen_so_far = current
        now = time.time()
        step_time = self._estimate_step_time(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw_bar(current, now, step_time, finalize)
            self._last_update = now
        elif self.verbose == 2 and finalize:
            self._draw_summary(current, now, step_time)

    def add(self, n, values=None):
        """Advance the bar by `n` steps (see `update`)."""
        self.update(self._seen_so_far + n, values)

    def _estimate_step_time(self, current, now):
        if not current:
            return 0
        # The first step usually includes compilation, so later estimates leave it out.
        if self._time_after_first_step is not None and current > 1:
            step_time = (now - self._time_after_first_step) / (current - 1)
        else:
            step_time = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return step_time

    def _count(self, current):
        digits = len(str(self.target))
        return f"{current:{digits}d}/{self.target}"

    def _metrics_text(self):
        parts = []
        for name, (total, count) in self._values.items():
            value = total if isinstance(total, str) else _mean(total) / max(1, count)
            parts.append(f" - {name}: {format_value(value)}")
        return "".join(parts)

    def _draw_bar(self, current, now, step_time, finalize):
        if self.target is not None:
            filled = int(self.width * (current / self.target)) if self.target else self.width
            bar = f"{_BOLD}{self._count(current)}{_RESET} "
            if filled > 0:
                bar += f"{_GREEN}{_BAR_CHAR * filled}{_RESET}"
            bar += f"{_WHITE}{_BAR_CHAR * (self.width - filled)}{_RESET}"
        else:
            bar = "%7d/Unknown" % current
        if self.target is not None and not finalize:
            clock = format_eta(step_time * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        line = f"{bar} {_BOLD}{clock}{_RESET}{format_step_time(step_time, self.unit_name)}{self._metrics_text()}"
        width = len(_ANSI.sub("", line))
        if self._dynamic_display:
            # Back over the previous line, then overwrite it; pad in case the new line is shorter.
            message = "\b" * self._prev_total_width + "\r"
        else:
            message = "\n"
        message += line + " " * max(self._prev_total_width - width, 0)
        if finalize:
            message += "\n"
        self._prev_total_width = width
        write(message)

    def _draw_summary(self, current, now, step_time):
        count = self._count(current) if self.target is not None else f"{current}/Unknown"
        line = (f"{count} - {now - self._start:.0f}s -{format_step_time(step_time, self.unit_name)}"
                f"{self._metrics_text()}")
        write(line + "\n")
