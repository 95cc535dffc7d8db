"""SwapEMAWeights: evaluate (and optionally checkpoint) with the optimizer's moving averages of the weights."""
import jax.numpy as jnp

from kerasj.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Puts the optimizer's exponential moving averages of the weights ("Polyak averaging", kept by an
    optimizer made with `use_ema=True`) into the model while it is evaluated or predicts, and the trained
    weights back afterwards.

    The two sets of values trade places (a swap of arrays, no copy). Changing the weights or the averages in
    another callback while they are swapped gives undefined results, as in Keras. Unlike Keras 3.15, whose
    `on_predict_end` leaves the averages in the model, `predict` also swaps back at its end.

    Args:
        swap_on_epoch: also swap at the end of each epoch (and back at the start of the next), so callbacks
            that run after this one at epoch end (e.g. `ModelCheckpoint`) see the averaged weights. After the
            last epoch the model keeps the averages, which is what `fit` leaves in it anyway.

    Example:

        >>> model.compile(optimizer=kerasj.optimizers.SGD(use_ema=True), loss="mse")
        >>> model.fit(x, y, validation_data=(xv, yv), callbacks=[SwapEMAWeights()])   # val_loss uses the EMA
        >>> model.fit(x, y, callbacks=[SwapEMAWeights(swap_on_epoch=True), ModelCheckpoint("ema.keras")])
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        """The optimizers holding moving averages: the model's own, the one inside a loss-scale wrapper, or
        those with use_ema among a multi-optimizer's `optimizers`."""
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        inner = getattr(optimizer, "optimizers", None)
        if inner is None:
            chosen = [optimizer]
        else:
            chosen = [opt for opt in inner if getattr(opt, "use_ema", False)]
            if not chosen:
                raise ValueError("SwapEMAWeights must be used when at least one inner optimizer has `use_ema=True` "
                                 "set. Received a MultiOptimizer with all inner optimizers having `use_ema=False`.")
        for opt in chosen:
            if not hasattr(opt, "_model_variables_moving_average"):
                raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                                 f"Received: use_ema={getattr(opt, 'use_ema', None)}")
        return chosen

    def _pairs(self):
        for opt in self._ema_optimizers():
            yield from zip(opt._trainable_variables, opt._model_variables_moving_average)

    def _swap_variables(self):
        for variable, average in self._pairs():
            trained = variable.value
            variable.assign(average.value)
            average.assign(trained)

    def _finalize_ema_values(self):
        # The averages are in the model and the trained weights in the optimizer; fit's end copies the
        # optimizer's side into the model, so it must hold the averages again. A copy keeps the two Variables
        # on separate buffers (a compiled step may donate each).
        for variable, average in self._pairs():
            average.assign(jnp.array(variable.value, copy=True))

    def _swap_in(self):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _swap_out(self):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if self.params is not None and epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        self._swap_out()
