"""The Transformer encoder text classifier: a subclassed keras.Model trained by a custom TensorFlow loop (train.py).

Token embedding + fixed sinusoidal positional encoding -> pre-norm encoder blocks (self-attention
with a padding mask, feed-forward) -> mean over the real tokens -> logits.
"""
import math
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # the layers below run as TensorFlow ops, inside tf.function

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from schedule import WarmupCosine  # noqa: E402


def positional_encoding(length, depth):
    """Fixed sinusoidal encodings, (T, D) for an even D."""
    positions = tf.cast(tf.range(length), tf.float32)[:, tf.newaxis]  # (T, 1)
    frequencies = tf.exp(tf.range(0, depth, 2, dtype=tf.float32) * (-math.log(10000.0) / depth))  # (D/2,)
    angles = positions * frequencies[tf.newaxis, :]  # (T, D/2)
    return tf.concat([tf.sin(angles), tf.cos(angles)], axis=-1)  # (T, D)


class EncoderBlock(layers.Layer):
    """Pre-norm self-attention + feed-forward, each with a residual connection: (B, T, D) -> (B, T, D)."""

    def __init__(self, d_model, num_heads, ff_dim, dropout, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=d_model // num_heads, dropout=dropout)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="gelu"), layers.Dropout(dropout), layers.Dense(d_model)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout = layers.Dropout(dropout)

    def call(self, x, attention_mask=None, training=False):
        h = self.norm1(x)
        h = self.attention(h, h, attention_mask=attention_mask, training=training)  # (B, T, D)
        x = x + self.dropout(h, training=training)
        return x + self.dropout(self.ffn(self.norm2(x), training=training), training=training)


class TransformerClassifier(keras.Model):
    """Token ids (B, T), 0 = padding -> logits (B, num_classes) in float32."""

    def __init__(self, vocab_size, num_classes, d_model, num_heads, ff_dim, num_layers, dropout, **kwargs):
        super().__init__(**kwargs)
        if d_model % num_heads or d_model % 2:
            raise ValueError("model.d_model must be even and divisible by model.num_heads")
        self.d_model = d_model
        self.embedding = layers.Embedding(vocab_size, d_model)
        self.blocks = [EncoderBlock(d_model, num_heads, ff_dim, dropout) for _ in range(num_layers)]
        self.norm = layers.LayerNormalization(epsilon=1e-6)
        self.dropout = layers.Dropout(dropout)
        self.classifier = layers.Dense(num_classes, dtype="float32", name="logits")

    def call(self, token_ids, training=False):  # (B, T)
        padding_mask = tf.not_equal(token_ids, 0)  # (B, T): True for real tokens
        x = self.embedding(token_ids) * math.sqrt(self.d_model)  # (B, T, D)
        x = x + tf.cast(positional_encoding(tf.shape(token_ids)[1], self.d_model), x.dtype)  # (B, T, D)
        x = self.dropout(x, training=training)
        attention_mask = padding_mask[:, tf.newaxis, :]  # (B, 1, T): no query attends to a padding key
        for block in self.blocks:
            x = block(x, attention_mask=attention_mask, training=training)  # (B, T, D)
        x = self.norm(x)
        weights = tf.cast(padding_mask, x.dtype)[:, :, tf.newaxis]  # (B, T, 1)
        pooled = tf.reduce_sum(x * weights, axis=1) / tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)  # (B, D)
        return self.classifier(self.dropout(pooled, training=training))  # (B, num_classes) logits


def build_model(cfg, info):
    model = TransformerClassifier(
        info.vocab_size, info.num_classes, cfg.model.d_model, cfg.model.num_heads, cfg.model.ff_dim,
        cfg.model.num_layers, cfg.model.dropout, name="transformer_classifier",
    )
    model(tf.ones((1, *info.input_shape), dtype=tf.int32))  # create the variables now (checkpoints restore into them)
    return model


def make_optimizer(cfg, steps_per_epoch):
    """AdamW with a warmup + cosine learning rate; global_clipnorm clips the gradients' global norm (after
    a mixed precision loss scale is removed: LossScaleOptimizer unscales before its inner optimizer clips)."""
    schedule = WarmupCosine(
        cfg.train.learning_rate,
        warmup_steps=int(cfg.train.warmup_epochs * steps_per_epoch),
        total_steps=cfg.train.epochs * steps_per_epoch,
        final_fraction=cfg.train.final_learning_rate_fraction,
    )
    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=cfg.train.weight_decay,
                                  global_clipnorm=cfg.train.clip_norm)
