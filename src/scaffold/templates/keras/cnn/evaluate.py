"""Evaluate a trained run of {{project_title}} on the test split.

    python evaluate.py                       # the latest run, its best checkpoint
    python evaluate.py --run-name baseline --checkpoint last

Prints the test loss, the accuracy and the confusion matrix, writes them to
runs/<run-name>/evaluation.json and adds a "test" row to the run's metrics.jsonl.
"""
import argparse
from pathlib import Path

import keras
import numpy as np

import data
import model  # noqa: F401  (registers the project's custom layers and losses, so that load_model can rebuild them)
import runtime
from config import load_config
from runlog import append_row, latest_run, write_json


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate a trained {{project_title}} run on the test split.")
    parser.add_argument("--config", default="config.toml", help="the hyperparameters the run was trained with")
    parser.add_argument("--run-name", help="the run's folder under runs/ (default: the latest run)")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best",
                        help="best: lowest validation loss (default); last: the end of training")
    parser.add_argument("--smoke", action="store_true", help="a quick check: only train.smoke_batches test batches")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config)
    runtime.setup(cfg.train.seed, mixed_precision=False, distribute="none")
    run_dir = Path(cfg.train.runs_dir) / args.run_name if args.run_name else latest_run(cfg.train.runs_dir)
    if run_dir is None:
        raise SystemExit(f"No run with checkpoints under {cfg.train.runs_dir}/: train one with python train.py")
    path = run_dir / "checkpoints" / f"{args.checkpoint}.keras"
    net = keras.models.load_model(str(path))

    splits = data.load(cfg)
    limit = cfg.train.smoke_batches if args.smoke else None
    test_ds = data.to_dataset(splits.test, cfg.train.batch_size, limit=limit)
    results = net.evaluate(test_ds, return_dict=True, verbose=0)
    probabilities = net.predict(test_ds, verbose=0)  # (N, num_classes), in the order of test_ds
    y_pred = probabilities.argmax(axis=-1)
    y_true = splits.test[1][: len(y_pred)]
    num_classes = splits.info.num_classes
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)  # rows: true class, columns: predicted
    np.add.at(confusion, (y_true, y_pred), 1)

    metrics = {name: float(value) for name, value in results.items()}
    report = {
        "run": run_dir.name,
        "checkpoint": str(path),
        "split": "test",
        "samples": int(len(y_pred)),
        "metrics": metrics,
        "class_names": splits.info.class_names,
        "confusion_matrix": confusion.tolist(),
    }
    write_json(run_dir / "evaluation.json", report)
    append_row(run_dir, "test", **metrics)
    print(f"{run_dir.name} ({args.checkpoint}.keras) on {len(y_pred)} test examples: "
          + ", ".join(f"{name} {value:.4f}" for name, value in metrics.items()))
    print("confusion matrix (rows: true class, columns: predicted):")
    print(confusion)


if __name__ == "__main__":
    main()
