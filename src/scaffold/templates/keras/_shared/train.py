"""Train the {{project_title}} classifier with Keras 3: compile() and fit() with callbacks.

    python train.py                          # hyperparameters from config.toml, a new run in runs/
    python train.py --epochs 5 --run-name baseline
    python train.py --smoke                  # one epoch of a few batches: checks that everything runs
    python train.py --resume                 # continue the latest run from its last checkpoint
    KERAS_BACKEND=jax python train.py --distribute data-parallel    # every GPU, Keras distribution API

Each run writes runs/<run-name>/: metrics.jsonl and run.json (the run log: Deep Learning Kit's
training monitor reads them), checkpoints/best.keras (lowest validation loss), checkpoints/last.keras
and checkpoints/state.json (what --resume continues from) and tensorboard/ (tensorboard --logdir runs).
"""
import argparse
import tempfile
from pathlib import Path

import keras

import configlib
import data
import runtime
from callbacks import RunLogCallback, TrainingState
from config import load_config
from model import build_model, compile_model
from runlog import RunLog, resolve_run_dir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train the {{project_title}} {{architecture}} classifier (Keras 3).")
    parser.add_argument("--config", default="config.toml", help="the hyperparameters (default: config.toml)")
    parser.add_argument("--epochs", type=int, help="train until this many epochs in all (default: train.epochs)")
    parser.add_argument("--smoke", action="store_true", help="a quick check: one epoch of train.smoke_batches batches")
    parser.add_argument("--resume", action="store_true", help="continue the run from its last checkpoint")
    parser.add_argument("--run-name", help="the run's folder under runs/ (default: {{architecture}}-<date>-<time>; "
                        "with --resume: the latest run)")
    parser.add_argument("--distribute", choices=runtime.DISTRIBUTE, default="auto",
                        help="several devices: data-parallel (JAX), mirrored or multi-worker (TensorFlow); see README.md")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.epochs:
        cfg = configlib.with_changes(cfg, "train", epochs=args.epochs)
    if args.smoke:
        cfg = configlib.with_changes(cfg, "train", epochs=1)
    env = runtime.setup(cfg.train.seed, cfg.train.mixed_precision, args.distribute)
    run_dir = resolve_run_dir(cfg.train.runs_dir, args.run_name, args.resume, "smoke" if args.smoke else "{{architecture}}")
    checkpoints = run_dir / "checkpoints"  # what --resume reads, on every worker (a shared disk for several machines)
    # Every process saves checkpoints (tf.distribute needs all workers to take part); only the chief's count.
    save_dir = checkpoints if env.is_chief else Path(tempfile.mkdtemp(prefix="worker-checkpoints-"))
    save_dir.mkdir(parents=True, exist_ok=True)

    splits = data.load(cfg)
    global_batch = cfg.train.batch_size * env.replicas
    limit = cfg.train.smoke_batches if args.smoke else None
    train_ds = data.to_dataset(splits.train, global_batch, shuffle=True, seed=cfg.train.seed, drop_remainder=True, limit=limit)
    val_ds = data.to_dataset(splits.val, global_batch, limit=limit)
    steps_per_epoch = data.num_batches(len(splits.train[0]), global_batch, drop_remainder=True, limit=limit)
    if steps_per_epoch == 0:
        raise SystemExit(f"The training split has fewer than {global_batch} examples: lower train.batch_size.")

    state = TrainingState.read(checkpoints) if args.resume else None
    if args.resume and not (state and (checkpoints / "last.keras").exists()):
        raise SystemExit(f"--resume: {checkpoints} has no last.keras and state.json to continue from")
    initial_epoch = state["epoch"] if state else 0
    if initial_epoch >= cfg.train.epochs:
        raise SystemExit(f"{run_dir.name} has already trained {initial_epoch} epochs; ask for more with --epochs")
    with env.scope():  # tf.distribute: variables are created, and restored, inside the strategy's scope
        if state:
            model = keras.models.load_model(str(checkpoints / "last.keras"))  # weights, optimizer state, step count
            print(f"Resuming {run_dir.name} after epoch {initial_epoch}")
        else:
            model = compile_model(build_model(cfg, splits.info), cfg, steps_per_epoch)
    if env.is_chief:
        model.summary()

    best = state["best"] if state else None
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            str(save_dir / "best.keras"), monitor="val_loss", save_best_only=True, initial_value_threshold=best
        ),
        keras.callbacks.ModelCheckpoint(str(save_dir / "last.keras")),  # every epoch: what --resume loads
        TrainingState(save_dir, steps_per_epoch, monitor="val_loss", best=best),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.train.patience, baseline=best),
    ]
    if env.is_chief:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard")))

    settings = {
        **configlib.as_dict(cfg),
        "model_name": model.name,
        "params": model.count_params(),
        "input_shape": list(splits.info.input_shape),
        "num_classes": splits.info.num_classes,
        "backend": env.backend,
        "device": env.accelerator,
        "precision": env.precision,
        "distribute": env.distribute,
        "replicas": env.replicas,
        "global_batch_size": global_batch,
        "train_samples": len(splits.train[0]),
        "val_samples": len(splits.val[0]),
        "log_every_steps": cfg.train.log_every_steps,
    }
    planned_steps = cfg.train.epochs * steps_per_epoch
    with RunLog(run_dir, settings, cfg.train.epochs, planned_steps, resume=bool(state), enabled=env.is_chief) as run_log:
        callbacks.append(
            RunLogCallback(run_log, cfg.train.log_every_steps, steps_per_epoch, learning_rate=lambda: model.optimizer.learning_rate)
        )
        model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=cfg.train.epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose="auto" if env.is_chief else 0,  # Keras' progress bar
        )
    if env.is_chief:
        print(f"Done: {run_dir}  (best model: {checkpoints / 'best.keras'}; evaluate it with python evaluate.py --run-name {run_dir.name})")


if __name__ == "__main__":
    main()
