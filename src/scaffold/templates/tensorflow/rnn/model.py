"""The sequence classifier: a subclassed keras.Model (masked embedding, stacked LSTM or GRU) trained by a
custom TensorFlow loop (train.py)."""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # the layers below run as TensorFlow ops, inside tf.function

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from schedule import WarmupCosine  # noqa: E402


class SequenceClassifier(keras.Model):
    """Token ids (B, T), 0 = padding at the end -> logits (B, num_classes) in float32."""

    def __init__(self, vocab_size, num_classes, cell, embed_dim, units, num_layers, bidirectional, dropout, **kwargs):
        super().__init__(**kwargs)
        if cell not in ("lstm", "gru"):
            raise ValueError(f"model.cell = {cell!r}: choose lstm or gru")
        recurrent = layers.LSTM if cell == "lstm" else layers.GRU
        self.embedding = layers.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.rnns = []
        for i in range(num_layers):
            rnn = recurrent(units, return_sequences=i < num_layers - 1, dropout=dropout)
            self.rnns.append(layers.Bidirectional(rnn) if bidirectional else rnn)
        self.dropout = layers.Dropout(dropout)
        self.classifier = layers.Dense(num_classes, dtype="float32", name="logits")

    def call(self, token_ids, training=False):
        mask = self.embedding.compute_mask(token_ids)  # (B, T): True for real tokens
        x = self.embedding(token_ids)  # (B, T, E)
        for rnn in self.rnns:
            x = rnn(x, mask=mask, training=training)  # (B, T, 2U or U); the last layer: (B, 2U or U)
        x = self.dropout(x, training=training)
        return self.classifier(x)  # (B, num_classes) logits


def build_model(cfg, info):
    model = SequenceClassifier(
        info.vocab_size, info.num_classes, cfg.model.cell, cfg.model.embed_dim, cfg.model.units,
        cfg.model.num_layers, cfg.model.bidirectional, cfg.model.dropout, name=f"{cfg.model.cell}_classifier",
    )
    model(tf.ones((1, *info.input_shape), dtype=tf.int32))  # create the variables now (checkpoints restore into them)
    return model


def make_optimizer(cfg, steps_per_epoch):
    """Adam with a warmup + cosine learning rate; global_clipnorm clips the gradients' global norm (after
    a mixed precision loss scale is removed: LossScaleOptimizer unscales before its inner optimizer clips)."""
    schedule = WarmupCosine(
        cfg.train.learning_rate,
        warmup_steps=int(cfg.train.warmup_epochs * steps_per_epoch),
        total_steps=cfg.train.epochs * steps_per_epoch,
        final_fraction=cfg.train.final_learning_rate_fraction,
    )
    return keras.optimizers.Adam(learning_rate=schedule, global_clipnorm=cfg.train.clip_norm)
