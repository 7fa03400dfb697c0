"""The sequence classifier: a Keras 3 functional model (masked embedding, stacked LSTM or GRU), and how it is compiled."""
import keras
from keras import layers


def build_model(cfg, info):
    """Token ids (B, T), 0 = padding at the end -> class probabilities (B, num_classes), float32."""
    if cfg.model.cell not in ("lstm", "gru"):
        raise ValueError(f"model.cell = {cfg.model.cell!r}: choose lstm or gru")
    recurrent = layers.LSTM if cfg.model.cell == "lstm" else layers.GRU
    inputs = keras.Input(shape=info.input_shape, dtype="int32", name="token_ids")  # (B, T)
    x = layers.Embedding(info.vocab_size, cfg.model.embed_dim, mask_zero=True)(inputs)  # (B, T, E); the mask skips padding
    for i in range(cfg.model.num_layers):
        last = i == cfg.model.num_layers - 1
        rnn = recurrent(cfg.model.units, return_sequences=not last, dropout=cfg.model.dropout)
        x = (layers.Bidirectional(rnn) if cfg.model.bidirectional else rnn)(x)  # (B, T, 2U or U); last: (B, 2U or U)
    x = layers.Dropout(cfg.model.dropout)(x)
    logits = layers.Dense(info.num_classes, name="logits")(x)  # (B, num_classes)
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(logits)
    return keras.Model(inputs, outputs, name=f"{cfg.model.cell}_classifier")


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
        optimizer=keras.optimizers.Adam(
            learning_rate=learning_rate_schedule(cfg, steps_per_epoch), global_clipnorm=cfg.train.clip_norm
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(),  # integer labels (B,), probabilities (B, num_classes)
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model
