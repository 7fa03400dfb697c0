"""Evaluate a trained classifier on the test split (or the validation split): loss, accuracy,
accuracy per class and the confusion matrix.

    python evaluate.py                         best.pt of the latest run, test split
    python evaluate.py --run-name NAME         best.pt of that run
    python evaluate.py --checkpoint PATH --split val
    python evaluate.py --log                   also append a "test" row to the run's metrics.jsonl
"""
import json

import torch
import torch.nn.functional as F

import data
import engine
from model import build_model


@torch.no_grad()
def predict(model, loader, device):
    """(logits (N, num_classes), labels (N,)) over a loader."""
    model.eval()
    all_logits, all_labels = [], []
    for inputs, labels in loader:
        all_logits.append(model(inputs.to(device)).float().cpu())
        all_labels.append(labels)
    return torch.cat(all_logits), torch.cat(all_labels)


def confusion_matrix(predictions, labels, num_classes):
    """counts[true class, predicted class]."""
    return torch.bincount(labels * num_classes + predictions, minlength=num_classes ** 2).view(num_classes, num_classes)


def main(argv=None):
    parser = engine.evaluation_arguments(__doc__)
    parser.add_argument("--split", choices=["test", "val"], default="test")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--log", action="store_true", help="append the result as a row to the run's metrics.jsonl")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.log and args.split != "test":
        parser.error("--log writes a \"test\" row: use it with --split test")

    path, state = engine.open_checkpoint(args)
    cfg, device = state["config"], engine.pick_device(args.device)
    splits, info = data.build_datasets(cfg["data"], seed=cfg["run"]["seed"], info=state["info"])
    model = build_model(cfg["model"], info)
    model.load_state_dict(state["models"]["model"])
    model.to(device)
    loader = engine.make_loader(splits[args.split], cfg, engine.Distributed(device=device), train=False,
                                collate_fn=data.collate, batch_size=args.batch_size)

    logits, labels = predict(model, loader, device)
    predictions = logits.argmax(dim=1)
    num_classes = info["num_classes"]
    counts = confusion_matrix(predictions, labels, num_classes)
    per_class = (counts.diag().float() / counts.sum(dim=1).clamp(min=1).float()).tolist()
    result = {
        "loss": F.cross_entropy(logits, labels).item(),
        "accuracy": (predictions == labels).float().mean().item(),
    }
    if args.json:
        print(json.dumps({"checkpoint": str(path), "split": args.split, **result, "per_class_accuracy": per_class,
                          "confusion_matrix": counts.tolist()}, indent=2))
    else:
        names = [str(name)[:12] for name in info["class_names"]]
        print(f"{args.split}: {len(labels)} examples  loss {result['loss']:.4f}  accuracy {result['accuracy']:.4f}")
        for name, accuracy, total in zip(names, per_class, counts.sum(dim=1).tolist()):
            print(f"  {name:>12}  accuracy {accuracy:.3f}  ({total} examples)")
        if num_classes <= 20:
            print("confusion matrix (rows: true class, columns: predicted):")
            print(" " * 14 + "".join(f"{name:>13}" for name in names))
            for name, row in zip(names, counts.tolist()):
                print(f"  {name:>12}" + "".join(f"{count:>13}" for count in row))
    if args.log:
        run_dir = engine.project_path(cfg["run"]["runs_dir"]) / state["run_name"]
        engine.append_metrics(run_dir, state["step"], state["epoch"], "test", **result)
        print(f"appended a test row to {run_dir / 'metrics.jsonl'}")


if __name__ == "__main__":
    main()
