"""Interactive logging: the switch, its reset by clear_session, and the progress bar going to absl.logging."""
import keras
from absl import logging

import kerasj
from kerasj.utils.progbar import Progbar


def test_switch_and_clear_session_reset_like_keras():
    for lib in (keras, kerasj):
        assert lib.utils.is_interactive_logging_enabled()
        lib.utils.disable_interactive_logging()
        assert not lib.utils.is_interactive_logging_enabled()
        lib.utils.clear_session(free_memory=False)
        assert lib.utils.is_interactive_logging_enabled()


def test_progbar_logs_instead_of_printing_when_disabled(capsys, monkeypatch):
    logged = []
    monkeypatch.setattr(logging, "info", lambda msg, *a: logged.append(msg))
    kerasj.utils.disable_interactive_logging()
    try:
        bar = Progbar(2, verbose=1)
        bar.update(2, [("loss", 0.5)], finalize=True)
    finally:
        kerasj.utils.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert logged and "2/2" in logged[-1] and "\b" not in logged[-1] and "loss: 0.5000" in logged[-1]
