"""Run an iterator a few items ahead in a background thread (the input pipeline of the trainer's
`IterableSource`, and `NativeDataset.prefetch`).

While the training loop dispatches the compiled step on batch k, the thread already pulls batch k+1 from the
user's generator, PyDataset or tf.data / grain iterator, stacks it and starts its transfer to the device.
The queue between them is bounded, so at most `size` items wait. The items arrive in order; an exception
raised while producing them is raised by the consumer, at the item where it happened, with its original
traceback; and a consumer that stops early (a break, an error in the step) stops the thread before it pulls
further.

    >>> for data, indices, n_valid in prefetch(source_chunks(), size=2):
    ...     program(data, indices, n_valid)
"""
import queue
import threading

_DONE = object()


class _Failure:
    def __init__(self, error):
        self.error = error


def prefetch(iterator, size=2):
    """Yield the items of `iterator`, produced up to `size` ahead by a daemon thread.

    The thread is started on the first item asked for, and stopped (between two items) when this generator
    is closed; the producing iterator is then closed in that thread.
    """
    items = queue.Queue(maxsize=size)
    stop = threading.Event()

    def offer(item):
        # Wait for room, but give up once the consumer has gone away.
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterator:
                if not offer(item):
                    break
            else:
                offer(_DONE)
        except BaseException as error:  # surfaces in the consumer; KeyboardInterrupt only hits the main thread
            offer(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="kerasj-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()
