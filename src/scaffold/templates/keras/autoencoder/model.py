"""The convolutional variational autoencoder: Keras 3 functional encoder, decoder and VAE, and how it is compiled.

The VAE is one functional model, trained with compile() and fit() on any backend: the compiled
loss is the reconstruction term (the model learns to output its input), and the LatentSampling
layer adds the beta-weighted KL term with add_loss(). The custom layer and loss are registered, so
keras.models.load_model rebuilds a saved .keras file once this module is imported.
"""
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="{{project_name}}")
class LatentSampling(layers.Layer):
    """(z_mean, z_log_var) -> z, and the KL divergence of q(z|x) from N(0, I) as a loss.

    Training: z = z_mean + exp(z_log_var / 2) * eps, eps ~ N(0, I) (the reparameterisation trick).
    Inference (evaluate, predict): z = z_mean, so the same image always gives the same code.
    """

    def __init__(self, beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.beta, self.seed = beta, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs  # (B, latent_dim) each
        kl = -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)  # (B,)
        self.add_loss(self.beta * ops.mean(kl))
        if not training:
            return z_mean
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon  # (B, latent_dim)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta, "seed": self.seed}


@keras.saving.register_keras_serializable(package="{{project_name}}")
def reconstruction_loss(images, reconstructions):
    """Bernoulli negative log-likelihood of each image, summed over its pixels: (B, H, W, C) -> (B,)."""
    return ops.sum(keras.losses.binary_crossentropy(images, reconstructions), axis=(1, 2))  # BCE averages over C


def build_encoder(cfg, info):
    """Images (B, H, W, C) in [0, 1] -> z_mean, z_log_var, each (B, latent_dim)."""
    inputs = keras.Input(shape=info.input_shape, name="images")  # (B, H, W, C)
    x = inputs
    for filters in cfg.model.filters:
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)  # (B, H/2, W/2, filters), ...
    x = layers.Flatten()(x)
    x = layers.Dense(cfg.model.dense_units, activation="relu")(x)
    z_mean = layers.Dense(cfg.model.latent_dim, dtype="float32", name="z_mean")(x)  # (B, latent_dim)
    z_log_var = layers.Dense(cfg.model.latent_dim, dtype="float32", name="z_log_var")(x)  # (B, latent_dim)
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def build_decoder(cfg, info):
    """z (B, latent_dim) -> images (B, H, W, C) in [0, 1], float32."""
    height, width, channels = info.input_shape
    steps = 2 ** len(cfg.model.filters)
    if height % steps or width % steps:
        raise ValueError(f"image height and width must be divisible by {steps}, not {height}x{width}")
    first = cfg.model.filters[-1]
    inputs = keras.Input(shape=(cfg.model.latent_dim,), name="z")  # (B, latent_dim)
    x = layers.Dense(cfg.model.dense_units, activation="relu")(inputs)
    x = layers.Dense((height // steps) * (width // steps) * first, activation="relu")(x)
    x = layers.Reshape((height // steps, width // steps, first))(x)  # (B, H/4, W/4, filters[-1]) for two filters
    for filters in reversed(cfg.model.filters):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)  # doubles H and W
    x = layers.Conv2D(channels, 3, padding="same")(x)  # (B, H, W, C) logits
    outputs = layers.Activation("sigmoid", dtype="float32", name="reconstruction")(x)
    return keras.Model(inputs, outputs, name="decoder")


def build_model(cfg, info):
    """The VAE: images (B, H, W, C) -> reconstructions (B, H, W, C); the KL term is in model.losses."""
    encoder, decoder = build_encoder(cfg, info), build_decoder(cfg, info)
    inputs = keras.Input(shape=info.input_shape, name="images")
    z_mean, z_log_var = encoder(inputs)
    z = LatentSampling(cfg.model.beta, seed=cfg.train.seed, dtype="float32", name="sampling")([z_mean, z_log_var])
    return keras.Model(inputs, decoder(z), name="vae")


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
    """loss = reconstruction + beta * KL (the negative ELBO per image); "reconstruction" alone is a metric."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate_schedule(cfg, steps_per_epoch)),
        loss=reconstruction_loss,
        metrics=[keras.metrics.MeanMetricWrapper(reconstruction_loss, name="reconstruction")],
    )
    return model
