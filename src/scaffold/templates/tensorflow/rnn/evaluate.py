"""Evaluate a trained run of {{project_title}} on the test split.

    python evaluate.py                       # the latest run, its best checkpoint
    python evaluate.py --run-name baseline --checkpoint last

Prints the test loss, the accuracy and the confusion matrix, writes them to
runs/<run-name>/evaluation.json and adds a "test" row to the run's metrics.jsonl.
"""
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import data  # noqa: E402
import runtime  # noqa: E402
from config import load_config  # noqa: E402
from model import build_model  # noqa: E402
from runlog import append_row, latest_run, write_json  # noqa: E402


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
    path = tf.train.latest_checkpoint(str(run_dir / "checkpoints" / args.checkpoint))
    if path is None:
        raise SystemExit(f"No checkpoint in {run_dir / 'checkpoints' / args.checkpoint}")

    splits = data.load(cfg)
    model = build_model(cfg, splits.info)  # the same architecture, its variables created ...
    tf.train.Checkpoint(model=model).restore(path).expect_partial()  # ... and filled; the optimizer state is skipped
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    test_loss, test_accuracy = keras.metrics.Mean(name="loss"), keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    @tf.function
    def eval_step(inputs, labels):
        logits = model(inputs, training=False)  # (B, num_classes)
        test_loss.update_state(loss_fn(labels, logits))
        test_accuracy.update_state(labels, logits)
        return tf.argmax(logits, axis=-1, output_type=tf.int32)  # (B,) predicted classes

    limit = cfg.train.smoke_batches if args.smoke else None
    predictions, labels = [], []
    for inputs, batch_labels in data.to_dataset(splits.test, cfg.train.batch_size, limit=limit):
        predictions.append(eval_step(inputs, batch_labels))
        labels.append(batch_labels)
    y_pred, y_true = tf.concat(predictions, axis=0), tf.concat(labels, axis=0)  # (N,)
    confusion = tf.math.confusion_matrix(y_true, y_pred, num_classes=splits.info.num_classes)  # rows: true class

    metrics = {"loss": float(test_loss.result()), "accuracy": float(test_accuracy.result())}
    report = {
        "run": run_dir.name,
        "checkpoint": path,
        "split": "test",
        "samples": int(y_true.shape[0]),
        "metrics": metrics,
        "class_names": splits.info.class_names,
        "confusion_matrix": confusion.numpy().tolist(),
    }
    write_json(run_dir / "evaluation.json", report)
    append_row(run_dir, "test", **metrics)
    print(f"{run_dir.name} ({path}) on {report['samples']} test examples: loss {metrics['loss']:.4f}, "
          f"accuracy {metrics['accuracy']:.4f}")
    print("confusion matrix (rows: true class, columns: predicted):")
    print(confusion.numpy())


if __name__ == "__main__":
    main()
