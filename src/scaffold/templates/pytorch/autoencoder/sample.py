"""Generate new images with a trained VAE (decoded from the prior N(0, I)) and save them as a PNG grid.

    python sample.py                           64 images from best.pt of the latest run -> samples.png
    python sample.py --num 100 --seed 7 --out grid.png
    python sample.py --interpolate             each row walks in a straight line between two random latent points
    python sample.py --checkpoint checkpoints/<run-name>/last.pt
"""
import torch

import engine
from images import save_image_grid
from model import build_model


def latent_walk(rows, steps, latent_dim, generator):
    """(rows * steps, latent_dim): for each row, `steps` points from one random z to another."""
    start, end = torch.randn(2, rows, 1, latent_dim, generator=generator)
    t = torch.linspace(0.0, 1.0, steps).view(1, steps, 1)
    return (start * (1 - t) + end * t).reshape(rows * steps, latent_dim)


def main(argv=None):
    parser = engine.evaluation_arguments(__doc__)
    parser.add_argument("--num", type=int, default=64, help="how many images (with --interpolate: rows x 8)")
    parser.add_argument("--nrow", type=int, default=8, help="images per row of the grid")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same images")
    parser.add_argument("--interpolate", action="store_true", help="latent walks instead of independent samples")
    parser.add_argument("--out", default="samples.png", help="the PNG to write")
    args = parser.parse_args(argv)

    _, state = engine.open_checkpoint(args)
    cfg, device = state["config"], engine.pick_device(args.device)
    model = build_model(cfg["model"], state["info"])
    model.load_state_dict(state["models"]["model"])
    model.to(device).eval()
    noise = torch.Generator().manual_seed(args.seed)
    latent_dim = cfg["model"]["latent_dim"]
    if args.interpolate:
        z = latent_walk(max(1, args.num // args.nrow), args.nrow, latent_dim, noise)
    else:
        z = torch.randn(args.num, latent_dim, generator=noise)
    path = save_image_grid(model.sample(z=z.to(device)), args.out, nrow=args.nrow)
    print(f"wrote {len(z)} images to {path}")


if __name__ == "__main__":
    main()
