"""Callbacks: objects called at fixed points of fit / evaluate / predict (kerasj.callbacks = keras.callbacks)."""
from kerasj.callbacks.backup_and_restore import BackupAndRestore
from kerasj.callbacks.callback import Callback
from kerasj.callbacks.callback_list import CallbackList
from kerasj.callbacks.csv_logger import CSVLogger
from kerasj.callbacks.early_stopping import EarlyStopping
from kerasj.callbacks.history import History
from kerasj.callbacks.lambda_callback import LambdaCallback
from kerasj.callbacks.learning_rate_scheduler import LearningRateScheduler
from kerasj.callbacks.model_checkpoint import ModelCheckpoint
from kerasj.callbacks.orbax_checkpoint import OrbaxCheckpoint
from kerasj.callbacks.progbar_logger import ProgbarLogger
from kerasj.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kerasj.callbacks.remote_monitor import RemoteMonitor
from kerasj.callbacks.swap_ema_weights import SwapEMAWeights
from kerasj.callbacks.tensorboard import TensorBoard
from kerasj.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ProgbarLogger", "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN"]
__all__ += ["BackupAndRestore", "ModelCheckpoint", "OrbaxCheckpoint", "RemoteMonitor", "SwapEMAWeights"]
