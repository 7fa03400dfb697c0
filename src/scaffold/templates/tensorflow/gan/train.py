"""Train the {{project_title}} DCGAN with a custom TensorFlow loop: two tf.GradientTapes, two optimizers.

    python train.py                          # hyperparameters from config.toml, a new run in runs/
    python train.py --epochs 50 --run-name long
    python train.py --smoke                  # one epoch of a few batches: checks that everything runs
    python train.py --resume                 # continue the latest run from its last checkpoint
    python train.py --distribute mirrored    # every GPU of this machine (tf.distribute.MirroredStrategy)

Each run writes runs/<run-name>/: metrics.jsonl and run.json (the run log: Deep Learning Kit's
training monitor reads them), samples/epoch-NNN.png (generated images from fixed noise),
checkpoints/last/ (tf.train.CheckpointManager: both models, both optimizers, the epoch) and
tensorboard/ (tensorboard --logdir runs).
"""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # Keras 3 layers and optimizers, run as TensorFlow ops

import argparse  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import configlib  # noqa: E402
import data  # noqa: E402
import runtime  # noqa: E402
from config import load_config  # noqa: E402
from images import save_grid  # noqa: E402
from model import build_models, discriminator_loss, generator_loss, make_optimizers  # noqa: E402
from progress import Progress  # noqa: E402
from runlog import RunLog, resolve_run_dir  # noqa: E402


class GanTrainer:
    """Both models, both optimizers, the loss metrics, and the tf.function steps that run on every replica.

    Create it inside strategy.scope(). Each step trains the discriminator (real -> 1, generated -> 0),
    then the generator (generated -> 1), each with its own tape and optimizer. Losses are per image
    and averaged over the global batch (tf.nn.compute_average_loss): the optimizers sum the replicas'
    gradients.
    """

    def __init__(self, strategy, generator, discriminator, g_optimizer, d_optimizer):
        self.strategy = strategy
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.metrics = {
            split: [keras.metrics.Mean(name="d_loss"), keras.metrics.Mean(name="g_loss")] for split in ("train", "val")
        }

    def noise(self, real_images):
        return tf.random.normal([tf.shape(real_images)[0], self.generator.latent_dim])  # (B, latent_dim)

    @tf.function
    def train_step(self, real_images):
        def step(real):  # (B, H, W, C) in [-1, 1]
            with tf.GradientTape() as d_tape:
                fake = self.generator(self.noise(real), training=True)
                d_per_image = discriminator_loss(self.discriminator(real, training=True),
                                                 self.discriminator(fake, training=True))  # (B,)
                d_loss = runtime.scaled(self.d_optimizer, tf.nn.compute_average_loss(d_per_image))
            d_grads = d_tape.gradient(d_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_variables))

            with tf.GradientTape() as g_tape:
                fake_logits = self.discriminator(self.generator(self.noise(real), training=True), training=True)
                g_per_image = generator_loss(fake_logits)  # (B,)
                g_loss = runtime.scaled(self.g_optimizer, tf.nn.compute_average_loss(g_per_image))
            g_grads = g_tape.gradient(g_loss, self.generator.trainable_variables)
            self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables))

            d_metric, g_metric = self.metrics["train"]
            d_metric.update_state(d_per_image)
            g_metric.update_state(g_per_image)

        self.strategy.run(step, args=(real_images,))

    @tf.function
    def eval_step(self, real_images):
        """Both losses on held-out real images, without updates."""

        def step(real):
            fake_logits = self.discriminator(self.generator(self.noise(real), training=False), training=False)
            d_metric, g_metric = self.metrics["val"]
            d_metric.update_state(discriminator_loss(self.discriminator(real, training=False), fake_logits))
            g_metric.update_state(generator_loss(fake_logits))

        self.strategy.run(step, args=(real_images,))

    def reset(self, split):
        for metric in self.metrics[split]:
            metric.reset_state()

    def results(self, split):
        return {metric.name: float(metric.result()) for metric in self.metrics[split]}


def to_tanh_range(images):
    """[0, 1] -> [-1, 1], the range of the generator's tanh output."""
    return images * 2.0 - 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train the {{project_title}} DCGAN (TensorFlow).")
    parser.add_argument("--config", default="config.toml", help="the hyperparameters (default: config.toml)")
    parser.add_argument("--epochs", type=int, help="train until this many epochs in all (default: train.epochs)")
    parser.add_argument("--smoke", action="store_true", help="a quick check: one epoch of train.smoke_batches batches")
    parser.add_argument("--resume", action="store_true", help="continue the run from its last checkpoint")
    parser.add_argument("--run-name", help="the run's folder under runs/ (default: gan-<date>-<time>; "
                        "with --resume: the latest run)")
    parser.add_argument("--distribute", choices=runtime.DISTRIBUTE, default="auto",
                        help="several GPUs (mirrored) or machines (multi-worker, TF_CONFIG); see README.md")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.epochs:
        cfg = configlib.with_changes(cfg, "train", epochs=args.epochs)
    if args.smoke:
        cfg = configlib.with_changes(cfg, "train", epochs=1)
    env = runtime.setup(cfg.train.seed, cfg.train.mixed_precision, args.distribute)
    strategy = env.strategy
    run_dir = resolve_run_dir(cfg.train.runs_dir, args.run_name, args.resume, "smoke" if args.smoke else "gan")
    checkpoints = run_dir / "checkpoints"  # what --resume reads, on every worker (a shared disk for several machines)
    # Every worker saves (saving is a collective operation under MultiWorkerMirroredStrategy); only the chief's count.
    save_dir = checkpoints if env.is_chief else Path(tempfile.mkdtemp(prefix="worker-checkpoints-"))

    splits = data.load(cfg)
    global_batch = cfg.train.batch_size * env.replicas
    limit = cfg.train.smoke_batches if args.smoke else None
    train_ds = strategy.experimental_distribute_dataset(data.to_dataset(
        to_tanh_range(splits.train), global_batch, shuffle=True, seed=cfg.train.seed, drop_remainder=True, limit=limit))
    val_ds = strategy.experimental_distribute_dataset(data.to_dataset(to_tanh_range(splits.val), global_batch, limit=limit))
    steps_per_epoch = data.num_batches(len(splits.train), global_batch, drop_remainder=True, limit=limit)
    if steps_per_epoch == 0:
        raise SystemExit(f"The training split has fewer than {global_batch} images: lower train.batch_size.")

    with strategy.scope():  # variables are created (and restored) here, mirrored on every replica
        generator, discriminator = build_models(cfg, splits.info)
        base_g, base_d = make_optimizers(cfg, steps_per_epoch)
        g_optimizer, d_optimizer = runtime.loss_scaled(base_g, env.precision), runtime.loss_scaled(base_d, env.precision)
        g_optimizer.build(generator.trainable_variables)  # the slots now, so that restore() fills them at once
        d_optimizer.build(discriminator.trainable_variables)
        trainer = GanTrainer(strategy, generator, discriminator, g_optimizer, d_optimizer)
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")  # epochs done
    # The base optimizers, not the loss-scale wrappers: a checkpoint restores with or without a GPU.
    checkpoint = tf.train.Checkpoint(generator=generator, discriminator=discriminator, g_optimizer=base_g,
                                     d_optimizer=base_d, epoch=epoch)
    last = tf.train.CheckpointManager(checkpoint, str(save_dir / "last"), max_to_keep=cfg.train.keep_checkpoints)
    if args.resume:
        latest = tf.train.latest_checkpoint(str(checkpoints / "last"))
        if latest is None:
            raise SystemExit(f"--resume: no checkpoint in {checkpoints / 'last'}")
        checkpoint.restore(latest).assert_existing_objects_matched()
        print(f"Resuming {run_dir.name} from {latest} after epoch {int(epoch.numpy())}")
    first_epoch = int(epoch.numpy())
    if first_epoch >= cfg.train.epochs:
        raise SystemExit(f"{run_dir.name} has already trained {first_epoch} epochs; ask for more with --epochs")
    if env.is_chief:
        generator.summary()
        discriminator.summary()

    writer = tf.summary.create_file_writer(str(run_dir / "tensorboard")) if env.is_chief else None
    fixed_noise = np.random.default_rng(cfg.train.seed).standard_normal((cfg.train.sample_count, cfg.model.latent_dim))
    fixed_noise = tf.constant(fixed_noise, dtype=tf.float32)

    def record(step, epoch_number, split, values):
        run_log.log(step, epoch_number, split, **values)
        if writer is not None:
            with writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(f"{split}/{name}", value)

    settings = {
        **configlib.as_dict(cfg),
        "generator_params": generator.count_params(),
        "discriminator_params": discriminator.count_params(),
        "image_shape": list(splits.info.input_shape),
        "gpus": env.gpus,
        "precision": env.precision,
        "distribute": env.distribute,
        "replicas": env.replicas,
        "global_batch_size": global_batch,
        "train_samples": len(splits.train),
        "log_every_steps": cfg.train.log_every_steps,
    }
    planned_steps = cfg.train.epochs * steps_per_epoch
    with RunLog(run_dir, settings, cfg.train.epochs, planned_steps, resume=args.resume, enabled=env.is_chief) as run_log:
        step = first_epoch * steps_per_epoch
        for epoch_number in range(first_epoch + 1, cfg.train.epochs + 1):
            trainer.reset("train")
            logged = -1
            with Progress(steps_per_epoch, f"epoch {epoch_number}/{cfg.train.epochs}", enabled=env.is_chief) as bar:
                for batch in train_ds:
                    trainer.train_step(batch)
                    step += 1
                    if step % cfg.train.log_every_steps == 0:
                        values = {**trainer.results("train"), "lr": float(base_g.learning_rate)}
                        record(step, epoch_number, "train", values)
                        logged = step
                        bar.update(**values)
                    else:
                        bar.update()
            if logged != step:
                record(step, epoch_number, "train", {**trainer.results("train"), "lr": float(base_g.learning_rate)})
            trainer.reset("val")
            for batch in val_ds:
                trainer.eval_step(batch)
            record(step, epoch_number, "val", trainer.results("val"))

            epoch.assign(epoch_number)
            last.save(checkpoint_number=epoch_number)
            if env.is_chief and (epoch_number % cfg.train.sample_every_epochs == 0 or epoch_number == cfg.train.epochs):
                samples = generator(fixed_noise, training=False)  # (N, H, W, C) in [-1, 1]
                save_grid(run_dir / "samples" / f"epoch-{epoch_number:03d}.png", samples.numpy(), value_range=(-1.0, 1.0))
                with writer.as_default(step=step):
                    tf.summary.image("samples", (samples + 1.0) / 2.0, max_outputs=8)
    if env.is_chief:
        print(f"Done: {run_dir}  (samples in {run_dir / 'samples'}; more with python sample.py --run-name {run_dir.name})")


if __name__ == "__main__":
    main()
