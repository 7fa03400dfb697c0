"""Train the {{project_title}} DCGAN with Keras 3: fit() runs GAN.train_step, two optimizers.

    python train.py                          # hyperparameters from config.toml, a new run in runs/
    python train.py --epochs 50 --run-name long
    python train.py --smoke                  # one epoch of a few batches: checks that everything runs
    python train.py --resume                 # continue the latest run from its last checkpoint
    python train.py --distribute mirrored    # every GPU of this machine (tf.distribute)

Each run writes runs/<run-name>/: metrics.jsonl and run.json (the run log: Deep Learning Kit's
training monitor reads them), samples/epoch-NNN.png (generated images from fixed noise),
checkpoints/generator.keras and discriminator.keras with their optimizers, checkpoints/state.json
(what --resume continues from) and tensorboard/ (tensorboard --logdir runs).
"""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # GAN.train_step uses tf.GradientTape: TensorFlow backend only

import argparse  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

import configlib  # noqa: E402
import data  # noqa: E402
import runtime  # noqa: E402
from callbacks import RunLogCallback, TrainingState  # noqa: E402
from config import load_config  # noqa: E402
from images import save_grid  # noqa: E402
from model import build_discriminator, build_generator, compile_gan, wrap  # noqa: E402
from runlog import RunLog, resolve_run_dir  # noqa: E402


class SaveModels(keras.callbacks.Callback):
    """Saves generator.keras and discriminator.keras, optimizer states included, after every epoch."""

    def __init__(self, generator, discriminator, directory):
        super().__init__()
        self.generator, self.discriminator, self.directory = generator, discriminator, Path(directory)

    def on_epoch_end(self, epoch, logs=None):
        self.generator.save(str(self.directory / "generator.keras"))
        self.discriminator.save(str(self.directory / "discriminator.keras"))


class SampleGrid(keras.callbacks.Callback):
    """Writes samples/epoch-NNN.png: the generator's images for the same noise every time."""

    def __init__(self, generator, noise, directory, every_epochs):
        super().__init__()
        self.generator, self.noise, self.directory, self.every = generator, noise, Path(directory), max(1, every_epochs)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.params.get("epochs"):
            images = self.generator.predict(self.noise, verbose=0)  # (N, H, W, C) in [-1, 1]
            save_grid(self.directory / f"epoch-{epoch + 1:03d}.png", images, value_range=(-1.0, 1.0))


def to_tanh_range(images):
    """[0, 1] -> [-1, 1], the range of the generator's tanh output."""
    return images * 2.0 - 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train the {{project_title}} DCGAN (Keras 3, TensorFlow backend).")
    parser.add_argument("--config", default="config.toml", help="the hyperparameters (default: config.toml)")
    parser.add_argument("--epochs", type=int, help="train until this many epochs in all (default: train.epochs)")
    parser.add_argument("--smoke", action="store_true", help="a quick check: one epoch of train.smoke_batches batches")
    parser.add_argument("--resume", action="store_true", help="continue the run from its last checkpoint")
    parser.add_argument("--run-name", help="the run's folder under runs/ (default: gan-<date>-<time>; "
                        "with --resume: the latest run)")
    parser.add_argument("--distribute", choices=runtime.TENSORFLOW_DISTRIBUTE, default="auto",
                        help="several devices: mirrored (one machine) or multi-worker (TF_CONFIG); see README.md")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.epochs:
        cfg = configlib.with_changes(cfg, "train", epochs=args.epochs)
    if args.smoke:
        cfg = configlib.with_changes(cfg, "train", epochs=1)
    env = runtime.setup(cfg.train.seed, cfg.train.mixed_precision, args.distribute, tensorflow_only=True)
    run_dir = resolve_run_dir(cfg.train.runs_dir, args.run_name, args.resume, "smoke" if args.smoke else "gan")
    checkpoints = run_dir / "checkpoints"  # what --resume reads, on every worker (a shared disk for several machines)
    # Every process saves checkpoints (tf.distribute needs all workers to take part); only the chief's count.
    save_dir = checkpoints if env.is_chief else Path(tempfile.mkdtemp(prefix="worker-checkpoints-"))
    save_dir.mkdir(parents=True, exist_ok=True)

    splits = data.load(cfg)
    global_batch = cfg.train.batch_size * env.replicas
    limit = cfg.train.smoke_batches if args.smoke else None
    train_ds = data.to_dataset(to_tanh_range(splits.train), global_batch, shuffle=True, seed=cfg.train.seed,
                               drop_remainder=True, limit=limit)
    val_ds = data.to_dataset(to_tanh_range(splits.val), global_batch, limit=limit)
    steps_per_epoch = data.num_batches(len(splits.train), global_batch, drop_remainder=True, limit=limit)
    if steps_per_epoch == 0:
        raise SystemExit(f"The training split has fewer than {global_batch} images: lower train.batch_size.")

    state = TrainingState.read(checkpoints) if args.resume else None
    if args.resume and not (state and (checkpoints / "generator.keras").exists()):
        raise SystemExit(f"--resume: {checkpoints} has no generator.keras and state.json to continue from")
    initial_epoch = state["epoch"] if state else 0
    if initial_epoch >= cfg.train.epochs:
        raise SystemExit(f"{run_dir.name} has already trained {initial_epoch} epochs; ask for more with --epochs")
    with env.scope():  # tf.distribute: variables are created, and restored, inside the strategy's scope
        if state:
            generator = keras.models.load_model(str(checkpoints / "generator.keras"))  # with its optimizer state
            discriminator = keras.models.load_model(str(checkpoints / "discriminator.keras"))
            gan = wrap(generator, discriminator, cfg)
            print(f"Resuming {run_dir.name} after epoch {initial_epoch}")
        else:
            generator, discriminator = build_generator(cfg, splits.info), build_discriminator(cfg, splits.info)
            gan = compile_gan(generator, discriminator, cfg, steps_per_epoch, loss_scale=env.precision == "mixed_float16")
    if env.is_chief:
        generator.summary()
        discriminator.summary()

    noise = np.random.default_rng(cfg.train.seed).standard_normal((cfg.train.sample_count, cfg.model.latent_dim))
    callbacks = [
        SaveModels(generator, discriminator, save_dir),  # every epoch: what --resume loads
        TrainingState(save_dir, steps_per_epoch, monitor=None),
    ]
    if env.is_chief:
        callbacks.append(SampleGrid(generator, noise.astype("float32"), run_dir / "samples", cfg.train.sample_every_epochs))
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard")))

    settings = {
        **configlib.as_dict(cfg),
        "generator_params": generator.count_params(),
        "discriminator_params": discriminator.count_params(),
        "image_shape": list(splits.info.input_shape),
        "backend": env.backend,
        "device": env.accelerator,
        "precision": env.precision,
        "distribute": env.distribute,
        "replicas": env.replicas,
        "global_batch_size": global_batch,
        "train_samples": len(splits.train),
        "log_every_steps": cfg.train.log_every_steps,
    }
    planned_steps = cfg.train.epochs * steps_per_epoch
    with RunLog(run_dir, settings, cfg.train.epochs, planned_steps, resume=bool(state), enabled=env.is_chief) as run_log:
        callbacks.append(
            RunLogCallback(run_log, cfg.train.log_every_steps, steps_per_epoch,
                           learning_rate=lambda: generator.optimizer.learning_rate)
        )
        gan.fit(
            train_ds,
            validation_data=val_ds,
            epochs=cfg.train.epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose="auto" if env.is_chief else 0,  # Keras' progress bar
        )
    if env.is_chief:
        print(f"Done: {run_dir}  (samples in {run_dir / 'samples'}; more with python sample.py --run-name {run_dir.name})")


if __name__ == "__main__":
    main()
