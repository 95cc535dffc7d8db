"""`clear_session`: reset kerasj's global state, as `keras.utils.clear_session` does in Keras 3.

    >>> kerasj.layers.Dense(1).name, kerasj.layers.Dense(1).name
    ('dense', 'dense_1')
    >>> kerasj.utils.clear_session()
    >>> kerasj.layers.Dense(1).name
    'dense'
"""
import gc

from kerasj.utils import io_utils, naming


def clear_session(free_memory=True):
    """Reset the global state kerasj keeps between models: the counters behind default names (`dense`,
    `dense_1`, ...) and the interactive-logging switch (back to on). Settings (`kerasj.config.floatx()`, ...)
    and existing layers and models are left untouched.

    Args:
        free_memory: also run Python's garbage collector, so that memory held by deleted models is freed now
            (it can take a while in a tight loop).

    >>> kerasj.utils.clear_session(free_memory=False)
    """
    naming.clear_session()
    io_utils.enable_interactive_logging()
    if free_memory:
        gc.collect()
