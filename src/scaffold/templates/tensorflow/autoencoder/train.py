"""Train the {{project_title}} variational autoencoder with a custom TensorFlow loop: tf.GradientTape inside tf.function.

    python train.py                          # hyperparameters from config.toml, a new run in runs/
    python train.py --epochs 5 --run-name baseline
    python train.py --smoke                  # one epoch of a few batches: checks that everything runs
    python train.py --resume                 # continue the latest run from its last checkpoint
    python train.py --distribute mirrored    # every GPU of this machine (tf.distribute.MirroredStrategy)

Each run writes runs/<run-name>/: metrics.jsonl and run.json (the run log: Deep Learning Kit's
training monitor reads them), samples/ (images decoded from fixed random codes, and held-out images
over their reconstructions), checkpoints/last/ (tf.train.CheckpointManager: model, optimizer, epoch,
early-stopping state; what --resume continues from), checkpoints/best/ (lowest validation loss) and
tensorboard/ (tensorboard --logdir runs).
"""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # Keras 3 layers and optimizers, run as TensorFlow ops

import argparse  # noqa: E402
import math  # noqa: E402
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
from model import build_model, make_optimizer, vae_loss  # noqa: E402
from progress import Progress  # noqa: E402
from runlog import RunLog, resolve_run_dir  # noqa: E402


class Trainer:
    """The VAE, its optimizer, the loss metrics, and the tf.function steps that run on every replica.

    Create it inside strategy.scope(). Losses are per image and averaged over the global batch
    (tf.nn.compute_average_loss), because the optimizer sums the replicas' gradients.
    """

    def __init__(self, strategy, model, optimizer, beta):
        self.strategy, self.model, self.optimizer, self.beta = strategy, model, optimizer, beta
        self.metrics = {
            split: [keras.metrics.Mean(name=name) for name in ("loss", "reconstruction", "kl")] for split in ("train", "val")
        }

    def update(self, split, losses):
        for metric, values in zip(self.metrics[split], losses):
            metric.update_state(values)

    @tf.function
    def train_step(self, images):
        def step(batch):  # (B, H, W, C) in [0, 1]
            with tf.GradientTape() as tape:
                losses = vae_loss(batch, *self.model(batch, training=True), self.beta)  # (B,) each
                loss = tf.nn.compute_average_loss(losses[0])  # sum / global batch size
                scaled = runtime.scaled(self.optimizer, loss)
            grads = tape.gradient(scaled, self.model.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))  # sums the replicas' gradients
            self.update("train", losses)

        self.strategy.run(step, args=(images,))

    @tf.function
    def eval_step(self, images):
        def step(batch):
            self.update("val", vae_loss(batch, *self.model(batch, training=False), self.beta))

        self.strategy.run(step, args=(images,))

    def reset(self, split):
        for metric in self.metrics[split]:
            metric.reset_state()

    def results(self, split):
        return {metric.name: float(metric.result()) for metric in self.metrics[split]}


def save_sample_grids(model, codes, held_out, directory, epoch_number):
    """samples/epoch-NNN-samples.png (decoded fixed codes) and -reconstructions.png (held-out images over theirs)."""
    save_grid(directory / f"epoch-{epoch_number:03d}-samples.png", model.decode(codes).numpy())
    logits, _, _ = model(held_out, training=False)
    columns = max(1, len(held_out) // 2)
    pairs = np.concatenate([held_out[:columns], tf.sigmoid(logits).numpy()[:columns]])
    save_grid(directory / f"epoch-{epoch_number:03d}-reconstructions.png", pairs, columns=columns)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train the {{project_title}} variational autoencoder (TensorFlow).")
    parser.add_argument("--config", default="config.toml", help="the hyperparameters (default: config.toml)")
    parser.add_argument("--epochs", type=int, help="train until this many epochs in all (default: train.epochs)")
    parser.add_argument("--smoke", action="store_true", help="a quick check: one epoch of train.smoke_batches batches")
    parser.add_argument("--resume", action="store_true", help="continue the run from its last checkpoint")
    parser.add_argument("--run-name", help="the run's folder under runs/ (default: {{architecture}}-<date>-<time>; "
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
    run_dir = resolve_run_dir(cfg.train.runs_dir, args.run_name, args.resume, "smoke" if args.smoke else "{{architecture}}")
    checkpoints = run_dir / "checkpoints"  # what --resume reads, on every worker (a shared disk for several machines)
    # Every worker saves (saving is a collective operation under MultiWorkerMirroredStrategy); only the chief's count.
    save_dir = checkpoints if env.is_chief else Path(tempfile.mkdtemp(prefix="worker-checkpoints-"))

    splits = data.load(cfg)
    global_batch = cfg.train.batch_size * env.replicas
    limit = cfg.train.smoke_batches if args.smoke else None
    train_ds = strategy.experimental_distribute_dataset(
        data.to_dataset(splits.train, global_batch, shuffle=True, seed=cfg.train.seed, drop_remainder=True, limit=limit)
    )
    val_ds = strategy.experimental_distribute_dataset(data.to_dataset(splits.val, global_batch, limit=limit))
    steps_per_epoch = data.num_batches(len(splits.train), global_batch, drop_remainder=True, limit=limit)
    if steps_per_epoch == 0:
        raise SystemExit(f"The training split has fewer than {global_batch} images: lower train.batch_size.")

    with strategy.scope():  # variables are created (and restored) here, mirrored on every replica
        model = build_model(cfg, splits.info)
        base_optimizer = make_optimizer(cfg, steps_per_epoch)
        optimizer = runtime.loss_scaled(base_optimizer, env.precision)
        optimizer.build(model.trainable_variables)  # the slots now, so that restore() fills them at once
        trainer = Trainer(strategy, model, optimizer, cfg.model.beta)
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")  # epochs done
        best_loss = tf.Variable(math.inf, dtype=tf.float32, trainable=False, name="best_val_loss")
        bad_epochs = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_without_improvement")
    # The base optimizer, not the loss-scale wrapper: a checkpoint restores with or without a GPU.
    checkpoint = tf.train.Checkpoint(model=model, optimizer=base_optimizer, epoch=epoch, best_val_loss=best_loss,
                                     bad_epochs=bad_epochs)
    last = tf.train.CheckpointManager(checkpoint, str(save_dir / "last"), max_to_keep=cfg.train.keep_checkpoints)
    best = tf.train.CheckpointManager(checkpoint, str(save_dir / "best"), max_to_keep=1)
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
        model.summary()

    writer = tf.summary.create_file_writer(str(run_dir / "tensorboard")) if env.is_chief else None
    codes = np.random.default_rng(cfg.train.seed).standard_normal((cfg.train.sample_count, cfg.model.latent_dim))
    codes = tf.constant(codes, dtype=tf.float32)
    held_out = splits.val[: cfg.train.sample_count]

    def record(step, epoch_number, split, values):
        run_log.log(step, epoch_number, split, **values)
        if writer is not None:
            with writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(f"{split}/{name}", value)

    settings = {
        **configlib.as_dict(cfg),
        "model_name": model.name,
        "params": model.count_params(),
        "image_shape": list(splits.info.input_shape),
        "gpus": env.gpus,
        "precision": env.precision,
        "distribute": env.distribute,
        "replicas": env.replicas,
        "global_batch_size": global_batch,
        "train_samples": len(splits.train),
        "val_samples": len(splits.val),
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
                        values = {**trainer.results("train"), "lr": float(base_optimizer.learning_rate)}
                        record(step, epoch_number, "train", values)
                        logged = step
                        bar.update(**values)
                    else:
                        bar.update()
            if logged != step:  # the epoch's last train row: the means over the whole epoch
                record(step, epoch_number, "train", {**trainer.results("train"), "lr": float(base_optimizer.learning_rate)})

            trainer.reset("val")
            for batch in val_ds:
                trainer.eval_step(batch)
            val = trainer.results("val")
            record(step, epoch_number, "val", val)
            print(f"epoch {epoch_number}: " + ", ".join(f"val {name} {value:.4f}" for name, value in val.items()))

            epoch.assign(epoch_number)
            improved = val["loss"] < float(best_loss.numpy())
            if improved:
                best_loss.assign(val["loss"])
                bad_epochs.assign(0)
            else:
                bad_epochs.assign_add(1)
            last.save(checkpoint_number=epoch_number)
            if improved:
                best.save(checkpoint_number=epoch_number)
            if env.is_chief and (epoch_number % cfg.train.sample_every_epochs == 0 or epoch_number == cfg.train.epochs):
                save_sample_grids(model, codes, held_out, run_dir / "samples", epoch_number)
            if int(bad_epochs.numpy()) >= cfg.train.patience:
                print(f"Early stopping: no better validation loss for {cfg.train.patience} epochs")
                break
    if env.is_chief:
        print(f"Done: {run_dir}  (images from the best checkpoint: python sample.py --run-name {run_dir.name})")


if __name__ == "__main__":
    main()
