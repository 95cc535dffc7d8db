"""LambdaCallback: functions called as hooks with the arguments Keras passes."""
import pytest

from kerasj.callbacks import CallbackList, LambdaCallback


def test_given_functions_are_called_with_hook_arguments(fake_model):
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
        on_batch_begin=lambda batch, logs: calls.append(("old_batch_begin", batch, logs)),
        on_test_end=lambda logs: calls.append(("test_end", logs)),
    )
    callbacks = CallbackList([callback], model=fake_model)
    callbacks.on_train_begin()
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 2})
    callbacks.on_epoch_end(0, {"loss": 1})
    callbacks.on_test_end({"loss": 3})
    callbacks.on_train_end()  # not given: does nothing
    assert calls == [("train_begin", {}), ("old_batch_begin", 0, {}), ("batch_end", 0, {"loss": 2.0}),
                     ("epoch_end", 0, {"loss": 1.0}), ("test_end", {"loss": 3.0})]


def test_only_given_batch_hooks_count_as_per_batch():
    assert not CallbackList([LambdaCallback(on_epoch_end=print)]).needs_batch_hooks()
    assert CallbackList([LambdaCallback(on_test_batch_end=print)]).needs_batch_hooks()


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown hook name.*on_epoch_ends.*valid names are .*on_epoch_end"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="on_train_end.*callable"):
        LambdaCallback(on_train_end=3)
