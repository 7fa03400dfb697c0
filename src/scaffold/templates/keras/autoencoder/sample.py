"""Images from a trained {{project_title}} VAE, saved as PNG grids.

    python sample.py                         # the latest run, its best checkpoint
    python sample.py --run-name long --count 100 --seed 7

Writes runs/<run-name>/samples/sample-<seed>.png (decoded random codes z ~ N(0, I)) and
reconstructions-<seed>.png (test images, each row followed by their reconstructions), and prints
the test loss (the negative ELBO per image) and its reconstruction term.
"""
import argparse
from pathlib import Path

import keras
import numpy as np

import data
import model  # noqa: F401  (registers the custom layer and loss, so that load_model can rebuild the VAE)
from config import load_config
from images import save_grid
from runlog import latest_run


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
    vae = keras.models.load_model(str(run_dir / "checkpoints" / f"{args.checkpoint}.keras"))
    decoder = vae.get_layer("decoder")

    codes = np.random.default_rng(args.seed).standard_normal((args.count, cfg.model.latent_dim)).astype("float32")
    samples = save_grid(run_dir / "samples" / f"sample-{args.seed}.png", decoder.predict(codes, verbose=0))

    test_images = data.load(cfg).test
    columns = 8
    originals = test_images[: max(columns, args.count // 2 // columns * columns)]
    reconstructions = vae.predict(originals, verbose=0)  # z = z_mean: the encoder's best guess
    rows = []  # a row of test images, then the row of their reconstructions, and so on
    for start in range(0, len(originals), columns):
        rows += [originals[start : start + columns], reconstructions[start : start + columns]]
    pairs = save_grid(run_dir / "samples" / f"reconstructions-{args.seed}.png", np.concatenate(rows), columns=columns)

    results = vae.evaluate(test_images, test_images, batch_size=cfg.train.batch_size, return_dict=True, verbose=0)
    print(f"Wrote {samples} and {pairs}")
    print(f"test: loss (negative ELBO per image) {results['loss']:.2f}, reconstruction {results['reconstruction']:.2f}")


if __name__ == "__main__":
    main()
