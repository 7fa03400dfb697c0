"""Images from a trained {{project_title}} VAE, saved as PNG grids.

    python sample.py                         # the latest run, its best checkpoint
    python sample.py --run-name long --checkpoint last --count 100 --seed 7

Writes runs/<run-name>/samples/sample-<seed>.png (decoded random codes z ~ N(0, I)) and
reconstructions-<seed>.png (test images, each row followed by their reconstructions), and prints
the test loss (the negative ELBO per image) and its reconstruction term.
"""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import data  # noqa: E402
from config import load_config  # noqa: E402
from images import save_grid  # noqa: E402
from model import build_model, vae_loss  # noqa: E402
from runlog import latest_run  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Images from a trained {{project_title}} VAE.")
    parser.add_argument("--config", default="config.toml", help="the hyperparameters the run was trained with")
    parser.add_argument("--run-name", help="the run's folder under runs/ (default: the latest run)")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best",
                        help="best: lowest validation loss (default); last: the end of training")
    parser.add_argument("--count", type=int, default=64, help="how many images per grid (default: 64)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random codes: the same seed gives the same images")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config)
    run_dir = Path(cfg.train.runs_dir) / args.run_name if args.run_name else latest_run(cfg.train.runs_dir)
    if run_dir is None:
        raise SystemExit(f"No run with checkpoints under {cfg.train.runs_dir}/: train one with python train.py")
    path = tf.train.latest_checkpoint(str(run_dir / "checkpoints" / args.checkpoint))
    if path is None:
        raise SystemExit(f"No checkpoint in {run_dir / 'checkpoints' / args.checkpoint}")
    splits = data.load(cfg)
    model = build_model(cfg, splits.info)
    tf.train.Checkpoint(model=model).restore(path).expect_partial()  # the model; the optimizer state is skipped

    codes = np.random.default_rng(args.seed).standard_normal((args.count, cfg.model.latent_dim)).astype("float32")
    samples = save_grid(run_dir / "samples" / f"sample-{args.seed}.png", model.decode(codes).numpy())

    columns = 8
    originals = splits.test[: max(columns, args.count // 2 // columns * columns)]
    logits, _, _ = model(originals, training=False)  # z = z_mean: the encoder's best guess
    reconstructions = tf.sigmoid(logits).numpy()
    rows = []  # a row of test images, then the row of their reconstructions, and so on
    for start in range(0, len(originals), columns):
        rows += [originals[start : start + columns], reconstructions[start : start + columns]]
    pairs = save_grid(run_dir / "samples" / f"reconstructions-{args.seed}.png", np.concatenate(rows), columns=columns)

    totals = np.zeros(2)
    for batch in data.to_dataset(splits.test, cfg.train.batch_size):
        loss, reconstruction, _ = vae_loss(batch, *model(batch, training=False), cfg.model.beta)
        totals += [float(tf.reduce_sum(loss)), float(tf.reduce_sum(reconstruction))]
    loss, reconstruction = totals / len(splits.test)
    print(f"Wrote {samples} and {pairs}")
    print(f"test: loss (negative ELBO per image) {loss:.2f}, reconstruction {reconstruction:.2f}")


if __name__ == "__main__":
    main()
