"""Keras callbacks of this project: the run log (runlog.py) and the state that --resume reads."""
from pathlib import Path

import keras

from runlog import read_json, write_json


class RunLogCallback(keras.callbacks.Callback):
    """Writes what fit() reports to the run log (metrics.jsonl, docs in runlog.py).

    A "train" row every `log_every_steps` optimizer steps and at the end of each epoch (Keras'
    running means over the epoch so far), then a "val" row with the validation metrics under their
    plain names: val_loss is written as `loss` on the "val" row.
    """

    def __init__(self, run_log, log_every_steps, steps_per_epoch, learning_rate=None):
        super().__init__()
        self.run_log = run_log
        self.log_every_steps = max(1, int(log_every_steps))
        self.steps_per_epoch = int(steps_per_epoch)
        self.learning_rate = learning_rate  # a function returning the current learning rate, or None
        self.step = 0
        self.epoch = 0
        self.logged_step = -1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1  # Keras counts epochs from 0, the run log from 1
        self.step = epoch * self.steps_per_epoch  # also right after a resume (fit(initial_epoch=...))

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.log_every_steps == 0:
            self._train_row(logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.logged_step != self.step:
            self._train_row({name: value for name, value in logs.items() if not name.startswith("val_")})
        val = {name[len("val_"):]: value for name, value in logs.items() if name.startswith("val_")}
        if val:
            self.run_log.log(self.step, self.epoch, "val", **val)

    def _train_row(self, logs):
        metrics = dict(logs or {})
        if self.learning_rate is not None:
            metrics["lr"] = keras.ops.convert_to_numpy(self.learning_rate())
        self.run_log.log(self.step, self.epoch, "train", **metrics)
        self.logged_step = self.step


class TrainingState(keras.callbacks.Callback):
    """Writes <checkpoints>/state.json at the end of every epoch: the epochs and steps done and the
    best value of `monitor` so far. --resume reads it to continue at the right epoch. Put it after
    the ModelCheckpoint that writes last.keras, so that the state never runs ahead of the model."""

    FILE = "state.json"

    def __init__(self, directory, steps_per_epoch, monitor="val_loss", best=None):
        super().__init__()
        self.path = Path(directory) / self.FILE
        self.steps_per_epoch = int(steps_per_epoch)
        self.monitor = monitor
        self.best = best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor) if self.monitor else None
        if value is not None and (self.best is None or float(value) < self.best):
            self.best = float(value)
        state = {"epoch": epoch + 1, "step": (epoch + 1) * self.steps_per_epoch, "monitor": self.monitor, "best": self.best}
        write_json(self.path, state)

    @classmethod
    def read(cls, directory):
        """The saved state of a run's checkpoint directory, or None."""
        return read_json(Path(directory) / cls.FILE)
