"""Evaluate a trained VAE on the test split (or the validation split): the negative ELBO per image,
its reconstruction and KL parts, and a grid of test images over their reconstructions.

    python evaluate.py                         best.pt of the latest run, test split
    python evaluate.py --run-name NAME         best.pt of that run
    python evaluate.py --checkpoint PATH --split val --out recon.png
    python evaluate.py --log                   also append a "test" row to the run's metrics.jsonl
"""
import json

import torch

import data
import engine
from images import save_image_grid
from model import build_model
from train import evaluate, reconstruction_grid


def main(argv=None):
    parser = engine.evaluation_arguments(__doc__)
    parser.add_argument("--split", choices=["test", "val"], default="test")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--nrow", type=int, default=8, help="images (and reconstructions) per row")
    parser.add_argument("--rows", type=int, default=4, help="rows of originals in the grid")
    parser.add_argument("--out", help="the grid PNG (default: runs/<run-name>/samples/evaluate_recon.png)")
    parser.add_argument("--log", action="store_true", help="append the result as a \"test\" row to the run's metrics.jsonl")
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
    dataset = splits[args.split]
    loader = engine.make_loader(dataset, cfg, engine.Distributed(device=device), train=False,
                                collate_fn=data.collate, batch_size=args.batch_size)
    result = evaluate(model, loader, device, beta=cfg["model"]["beta"])

    run_dir = engine.project_path(cfg["run"]["runs_dir"]) / state["run_name"]
    out = args.out or run_dir / "samples" / "evaluate_recon.png"
    count = min(len(dataset), args.nrow * args.rows)
    images = torch.stack([dataset[i][0] for i in range(count)]).to(device)
    pairs = reconstruction_grid(model, images)  # (count, 2, C, S, S)
    rows = [pairs[i:i + args.nrow].transpose(0, 1).reshape(-1, *pairs.shape[2:]) for i in range(0, count, args.nrow)]
    save_image_grid(torch.cat(rows), out, nrow=min(args.nrow, count))
    if args.json:
        print(json.dumps({"checkpoint": str(path), "split": args.split, **result, "grid": str(out)}, indent=2))
    else:
        print(f"{args.split}: {len(dataset)} images  " + "  ".join(f"{k} {v:.4f}" for k, v in result.items()))
        print(f"wrote {out} (each row of originals has its reconstructions below it)")
    if args.log:
        engine.append_metrics(run_dir, state["step"], state["epoch"], "test", **result)
        print(f"appended a test row to {run_dir / 'metrics.jsonl'}")


if __name__ == "__main__":
    main()
