"""The learning-rate schedule: a linear warmup, then a cosine decay, in TensorFlow ops."""
import math
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # Keras 3 optimizers evaluate the schedule as TensorFlow ops

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """0 -> peak over warmup_steps, then cosine decay to peak x final_fraction at total_steps (constant after)."""

    def __init__(self, peak, warmup_steps, total_steps, final_fraction=0.0):
        self.peak = float(peak)
        self.warmup_steps = int(warmup_steps)
        self.total_steps = max(int(total_steps), self.warmup_steps + 1)
        self.final_fraction = float(final_fraction)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warmup = self.peak * step / max(self.warmup_steps, 1)
        progress = tf.clip_by_value((step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0)
        floor = self.peak * self.final_fraction
        cosine = floor + 0.5 * (self.peak - floor) * (1.0 + tf.cos(math.pi * progress))
        return tf.where(step < self.warmup_steps, warmup, cosine)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps, "total_steps": self.total_steps,
                "final_fraction": self.final_fraction}
