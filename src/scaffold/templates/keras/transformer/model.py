"""The Transformer encoder text classifier: a Keras 3 functional model, and how it is compiled.

Token embedding + fixed sinusoidal positional encoding -> pre-norm encoder blocks (self-attention
that ignores padding, feed-forward) -> mean over the real tokens -> class probabilities. The custom
layers are registered, so keras.models.load_model rebuilds a saved .keras file once this module is imported.
"""
import math

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="{{project_name}}")
class PositionalEncoding(layers.Layer):
    """Adds fixed sinusoidal position encodings: (B, T, D) -> (B, T, D), D even."""

    def call(self, x):
        length, depth = ops.shape(x)[1], x.shape[-1]
        positions = ops.expand_dims(ops.arange(length, dtype="float32"), 1)  # (T, 1)
        frequencies = ops.exp(ops.arange(0, depth, 2, dtype="float32") * (-math.log(10000.0) / depth))  # (D/2,)
        angles = positions * ops.expand_dims(frequencies, 0)  # (T, D/2)
        encoding = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)  # (T, D)
        return x + ops.cast(ops.expand_dims(encoding, 0), x.dtype)  # (B, T, D)


@keras.saving.register_keras_serializable(package="{{project_name}}")
class TransformerEncoderBlock(layers.Layer):
    """Pre-norm self-attention + feed-forward, each with a residual connection: (B, T, D) -> (B, T, D)."""

    def __init__(self, d_model, num_heads, ff_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.d_model, self.num_heads, self.ff_dim, self.rate = d_model, num_heads, ff_dim, dropout
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=d_model // num_heads, dropout=dropout)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="gelu"), layers.Dropout(dropout), layers.Dense(d_model)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout = layers.Dropout(dropout)

    def call(self, x, padding_mask=None, training=None):
        # padding_mask: (B, T), True for real tokens -> (B, 1, T): no query attends to a padding key
        attention_mask = None if padding_mask is None else ops.expand_dims(padding_mask, 1)
        h = self.norm1(x)
        h = self.attention(h, h, attention_mask=attention_mask, training=training)  # (B, T, D)
        x = x + self.dropout(h, training=training)
        h = self.ffn(self.norm2(x), training=training)  # (B, T, D)
        return x + self.dropout(h, training=training)

    def get_config(self):
        return {**super().get_config(), "d_model": self.d_model, "num_heads": self.num_heads,
                "ff_dim": self.ff_dim, "dropout": self.rate}


def build_model(cfg, info):
    """Token ids (B, T), 0 = padding -> class probabilities (B, num_classes), float32."""
    if cfg.model.d_model % cfg.model.num_heads or cfg.model.d_model % 2:
        raise ValueError("model.d_model must be even and divisible by model.num_heads")
    inputs = keras.Input(shape=info.input_shape, dtype="int32", name="token_ids")  # (B, T)
    padding_mask = ops.not_equal(inputs, 0)  # (B, T): True for real tokens
    x = layers.Embedding(info.vocab_size, cfg.model.d_model)(inputs)  # (B, T, D)
    x = PositionalEncoding()(x)  # (B, T, D)
    x = layers.Dropout(cfg.model.dropout)(x)
    for _ in range(cfg.model.num_layers):
        x = TransformerEncoderBlock(cfg.model.d_model, cfg.model.num_heads, cfg.model.ff_dim, cfg.model.dropout)(
            x, padding_mask=padding_mask
        )  # (B, T, D)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    x = layers.GlobalAveragePooling1D()(x, mask=padding_mask)  # (B, D): the mean over the real tokens
    x = layers.Dropout(cfg.model.dropout)(x)
    logits = layers.Dense(info.num_classes, name="logits")(x)  # (B, num_classes)
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(logits)
    return keras.Model(inputs, outputs, name="transformer_classifier")


def learning_rate_schedule(cfg, steps_per_epoch):
    """Linear warmup from 0 to cfg.train.learning_rate, then cosine decay over the remaining steps."""
    total = max(1, cfg.train.epochs * steps_per_epoch)
    warmup = min(int(cfg.train.warmup_epochs * steps_per_epoch), total - 1)
    if warmup == 0:
        return keras.optimizers.schedules.CosineDecay(
            cfg.train.learning_rate, decay_steps=total, alpha=cfg.train.final_learning_rate_fraction
        )
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=total - warmup,
        alpha=cfg.train.final_learning_rate_fraction,
        warmup_target=cfg.train.learning_rate,
        warmup_steps=warmup,
    )


def compile_model(model, cfg, steps_per_epoch):
    model.compile(
        # global_clipnorm: Keras rescales all gradients together (after removing a mixed precision loss scale).
        optimizer=keras.optimizers.AdamW(
            learning_rate=learning_rate_schedule(cfg, steps_per_epoch),
            weight_decay=cfg.train.weight_decay,
            global_clipnorm=cfg.train.clip_norm,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(),  # integer labels (B,), probabilities (B, num_classes)
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model
