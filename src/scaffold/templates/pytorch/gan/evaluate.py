"""Evaluate a trained DCGAN on the test split: the discriminator's and the generator's losses on
held-out real images and on fresh fakes, and a grid of generated images.

    python evaluate.py                         best.pt of the latest run
    python evaluate.py --run-name NAME         best.pt of that run
    python evaluate.py --checkpoint PATH --out grid.png
    python evaluate.py --log                   also append a "test" row to the run's metrics.jsonl

GAN losses say how the two networks compare, not how good the images are: look at the grid.
"""
import json

import torch

import data
import engine
from images import save_image_grid
from model import build_models
from train import evaluate, generate


def main(argv=None):
    parser = engine.evaluation_arguments(__doc__)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--num", type=int, default=64, help="images in the grid")
    parser.add_argument("--out", help="the grid PNG (default: runs/<run-name>/samples/evaluate.png)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", action="store_true", help="append the result as a \"test\" row to the run's metrics.jsonl")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    path, state = engine.open_checkpoint(args)
    cfg, device = state["config"], engine.pick_device(args.device)
    splits, info = data.build_datasets(cfg["data"], seed=cfg["run"]["seed"], info=state["info"])
    generator, discriminator = build_models(cfg["model"], info)
    generator.load_state_dict(state["models"]["generator"])
    discriminator.load_state_dict(state["models"]["discriminator"])
    generator.to(device)
    discriminator.to(device)
    loader = engine.make_loader(splits["test"], cfg, engine.Distributed(device=device), train=False,
                                collate_fn=data.collate, batch_size=args.batch_size)
    latent_dim = cfg["model"]["latent_dim"]
    result = evaluate(generator, discriminator, loader, latent_dim, device, seed=args.seed)

    run_dir = engine.project_path(cfg["run"]["runs_dir"]) / state["run_name"]
    out = args.out or run_dir / "samples" / "evaluate.png"
    z = torch.randn(args.num, latent_dim, generator=torch.Generator().manual_seed(args.seed)).to(device)
    save_image_grid(generate(generator, z), out, nrow=max(1, int(args.num ** 0.5)))
    if args.json:
        print(json.dumps({"checkpoint": str(path), "split": "test", **result, "grid": str(out)}, indent=2))
    else:
        print("test: " + "  ".join(f"{name} {value:.4f}" for name, value in result.items()))
        print(f"d_real / d_fake: the discriminator's mean \"real\" probability for real images / for fakes")
        print(f"wrote {out}")
    if args.log:
        engine.append_metrics(run_dir, state["step"], state["epoch"], "test", **result)
        print(f"appended a test row to {run_dir / 'metrics.jsonl'}")


if __name__ == "__main__":
    main()
