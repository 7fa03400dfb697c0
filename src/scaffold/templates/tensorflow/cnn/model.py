"""The image classifier: a subclassed keras.Model trained by a custom TensorFlow loop (train.py)."""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # the layers below run as TensorFlow ops, inside tf.function

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from schedule import WarmupCosine  # noqa: E402


class CNN(keras.Model):
    """Conv-BN-ReLU blocks -> global average pooling -> logits.

    Takes float images in [0, 1], (B, H, W, C); returns logits (B, num_classes) in float32, also
    under the mixed_float16 policy.
    """

    def __init__(self, num_classes, filters, dropout, augment, **kwargs):
        super().__init__(**kwargs)
        self.augment = keras.Sequential(
            [layers.RandomTranslation(0.1, 0.1, fill_mode="nearest"), layers.RandomZoom(0.1, fill_mode="nearest")],
            name="augment",
        ) if augment else None
        self.blocks = [
            keras.Sequential(
                [
                    layers.Conv2D(width, 3, padding="same", use_bias=False),
                    layers.BatchNormalization(),
                    layers.Activation("relu"),
                    layers.Conv2D(width, 3, padding="same", use_bias=False),
                    layers.BatchNormalization(),
                    layers.Activation("relu"),
                    layers.MaxPooling2D(2),
                ],
                name=f"block{i + 1}",
            )
            for i, width in enumerate(filters)
        ]
        self.pool = layers.GlobalAveragePooling2D()
        self.dropout = layers.Dropout(dropout)
        self.classifier = layers.Dense(num_classes, dtype="float32", name="logits")

    def call(self, images, training=False):  # (B, H, W, C)
        x = images
        if self.augment is not None:
            x = self.augment(x, training=training)  # random shifts and zooms while training only
        for block in self.blocks:
            x = block(x, training=training)  # (B, H/2, W/2, width) after each block
        x = self.pool(x)  # (B, filters[-1])
        x = self.dropout(x, training=training)
        return self.classifier(x)  # (B, num_classes) logits


def build_model(cfg, info):
    model = CNN(info.num_classes, cfg.model.filters, cfg.model.dropout, cfg.model.augment, name="cnn_classifier")
    model(tf.zeros((1, *info.input_shape)))  # create the variables now (checkpoints restore into them)
    return model


def make_optimizer(cfg, steps_per_epoch):
    """AdamW with a linear warmup and a cosine decay of the learning rate, one value per optimizer step."""
    schedule = WarmupCosine(
        cfg.train.learning_rate,
        warmup_steps=int(cfg.train.warmup_epochs * steps_per_epoch),
        total_steps=cfg.train.epochs * steps_per_epoch,
        final_fraction=cfg.train.final_learning_rate_fraction,
    )
    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=cfg.train.weight_decay)
