"""Generate images with a trained {{project_title}} generator and save them as one PNG grid.

    python sample.py                         # 64 images from the latest run
    python sample.py --run-name long --count 100 --seed 7 --out grid.png
"""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # the project's models were trained on the TensorFlow backend

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

from config import load_config  # noqa: E402
from images import save_grid  # noqa: E402
from runlog import latest_run  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Generate images with a trained {{project_title}} generator.")
    parser.add_argument("--config", default="config.toml", help="the hyperparameters the run was trained with")
    parser.add_argument("--run-name", help="the run's folder under runs/ (default: the latest run)")
    parser.add_argument("--count", type=int, default=64, help="how many images (default: 64)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise: the same seed gives the same images")
    parser.add_argument("--out", help="the PNG file to write (default: runs/<run-name>/samples/sample-<seed>.png)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config)
    run_dir = Path(cfg.train.runs_dir) / args.run_name if args.run_name else latest_run(cfg.train.runs_dir)
    if run_dir is None:
        raise SystemExit(f"No run with checkpoints under {cfg.train.runs_dir}/: train one with python train.py")
    generator = keras.models.load_model(str(run_dir / "checkpoints" / "generator.keras"), compile=False)
    noise = np.random.default_rng(args.seed).standard_normal((args.count, cfg.model.latent_dim)).astype("float32")
    images = generator.predict(noise, verbose=0)  # (count, H, W, C) in [-1, 1]
    out = Path(args.out) if args.out else run_dir / "samples" / f"sample-{args.seed}.png"
    save_grid(out, images, value_range=(-1.0, 1.0))
    print(f"Wrote {args.count} generated images to {out}")


if __name__ == "__main__":
    main()
