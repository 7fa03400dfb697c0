"""The image classifier: a Keras 3 functional model, and how it is compiled."""
import keras
from keras import layers


def build_model(cfg, info):
    """Conv-BN-ReLU blocks -> global average pooling -> class probabilities.

    Takes float images in [0, 1], (B, H, W, C); returns softmax probabilities, (B, num_classes),
    in float32 also under a mixed precision policy.
    """
    inputs = keras.Input(shape=info.input_shape, name="images")  # (B, H, W, C)
    x = inputs
    if cfg.model.augment:  # active in fit() only; evaluate() and predict() see the images as they are
        x = layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", name="random_shift")(x)
        x = layers.RandomZoom(0.1, fill_mode="nearest", name="random_zoom")(x)
    for filters in cfg.model.filters:
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)  # (B, H, W, filters)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)  # (B, H/2, W/2, filters)
    x = layers.GlobalAveragePooling2D()(x)  # (B, filters[-1])
    x = layers.Dropout(cfg.model.dropout)(x)
    logits = layers.Dense(info.num_classes, name="logits")(x)  # (B, num_classes)
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(logits)
    return keras.Model(inputs, outputs, name="cnn_classifier")


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
        optimizer=keras.optimizers.AdamW(
            learning_rate=learning_rate_schedule(cfg, steps_per_epoch), weight_decay=cfg.train.weight_decay
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(),  # integer labels (B,), probabilities (B, num_classes)
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model
