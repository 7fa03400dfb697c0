"""Train the variational autoencoder of this project (settings: config.toml).

    python train.py                       train with config.toml
    python train.py --smoke               tiny data and model: checks everything in seconds
    python train.py --resume              continue the latest run from its last checkpoint
    torchrun --nproc_per_node=4 train.py  one process per GPU (DistributedDataParallel)

The run log (runs/<run-name>/metrics.jsonl + run.json) is what Deep Learning Kit's training
monitor shows; runs/<run-name>/samples/ gets images sampled from the prior and reconstructions
after every epoch; checkpoints/<run-name>/ holds last.pt (for --resume) and best.pt.
"""
import torch

import data
import engine
from images import save_image_grid
from model import build_model, vae_loss


def train_step(model, batch, optimizer, scaler, device, use_amp=False, beta=1.0, clip_grad_norm=0.0):
    """One optimizer step on a batch (images, labels); labels are ignored."""
    images = batch[0].to(device, non_blocking=True)
    with engine.autocast(device, use_amp):
        logits, mu, logvar = model(images)
    loss, recon, kl = vae_loss(logits, images, mu, logvar, beta)  # float32
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    if clip_grad_norm > 0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
    scaler.step(optimizer)
    scaler.update()
    return {"loss": loss.detach(), "recon": recon.detach(), "kl": kl.detach()}, images.size(0)


@torch.no_grad()
def evaluate(model, loader, device, use_amp=False, dist=None, beta=1.0):
    """Mean loss (negative ELBO), reconstruction and KL per image, with z = mu."""
    model.eval()
    totals = torch.zeros(4, device=device)  # loss, recon, kl sums; count
    for images, _ in loader:
        images = images.to(device, non_blocking=True)
        with engine.autocast(device, use_amp):
            logits, mu, logvar = model(images)
        loss, recon, kl = vae_loss(logits, images, mu, logvar, beta)
        n = images.size(0)
        totals += torch.stack([loss * n, recon * n, kl * n, torch.tensor(float(n), device=device)])
    if dist is not None:
        totals = dist.all_reduce_sum(totals)
    *sums, count = totals.tolist()
    return dict(zip(("loss", "recon", "kl"), (s / max(count, 1.0) for s in sums)))


@torch.no_grad()
def reconstruction_grid(model, images):
    """Originals on odd rows, their reconstructions below: (2N, C, S, S) for a grid of N per row."""
    model.eval()
    logits, _, _ = model(images)
    recon = torch.sigmoid(logits.float())
    return torch.stack([images.float(), recon], dim=1)  # (N, 2, C, S, S)


def write_samples(model, fixed_z, fixed_images, folder, epoch, nrow):
    """samples/epoch_NNN.png (decoded from fixed prior noise) and samples/recon_epoch_NNN.png."""
    model.eval()
    save_image_grid(model.sample(z=fixed_z), folder / f"epoch_{epoch:03d}.png", nrow=nrow)
    pairs = reconstruction_grid(model, fixed_images)[:nrow]  # (nrow, 2, C, S, S)
    grid = pairs.transpose(0, 1).reshape(-1, *pairs.shape[2:])  # row 1: originals, row 2: reconstructions
    save_image_grid(grid, folder / f"recon_epoch_{epoch:03d}.png", nrow=pairs.size(0))


def main(argv=None):
    args = engine.parse_args(__doc__, argv)
    session = engine.setup(args)
    cfg, device, dist = session.cfg, session.device, session.dist
    try:
        with dist.main_first():  # a download happens once per machine, in its first process
            splits, info = data.build_datasets(cfg["data"], seed=cfg["run"]["seed"], info=session.info)
        train_loader = engine.make_loader(splits["train"], cfg, dist, train=True, collate_fn=data.collate)
        val_loader = engine.make_loader(splits["val"], cfg, dist, train=False, collate_fn=data.collate)

        net = build_model(cfg["model"], info).to(device)
        model = dist.wrap(net)
        optimizer = engine.build_optimizer(net.parameters(), cfg["optim"])
        scheduler = engine.build_scheduler(optimizer, cfg["schedule"], cfg["train"]["epochs"], len(train_loader))
        scaler = engine.make_scaler(session.use_amp)
        beta = cfg["model"]["beta"]
        clip = cfg["optim"].get("clip_grad_norm", 0.0)
        samples = cfg["samples"]
        fixed_z = torch.randn(samples["num"], cfg["model"]["latent_dim"],
                              generator=torch.Generator().manual_seed(cfg["run"]["seed"])).to(device)
        val_set = splits["val"]
        fixed_images = torch.stack([val_set[i][0] for i in range(min(samples["nrow"], len(val_set)))]).to(device)

        def on_epoch_end(epoch, step):
            every = samples.get("every_epochs", 1)
            if dist.is_main and every > 0 and epoch % every == 0:
                write_samples(net, fixed_z, fixed_images, session.run_dir / "samples", epoch, samples["nrow"])

        engine.fit(
            session,
            models={"model": model},
            optimizers={"optimizer": optimizer},
            schedulers={"scheduler": scheduler},
            scalers={"scaler": scaler},
            train_loader=train_loader,
            val_loader=val_loader,
            train_step=lambda batch: train_step(model, batch, optimizer, scaler, device, session.use_amp, beta, clip),
            evaluate=lambda loader: evaluate(net, loader, device, session.use_amp, dist, beta),
            on_epoch_end=on_epoch_end,
            info=info,
            run_info={"model": type(net).__name__, "params": engine.count_parameters(net),
                      "train_samples": len(splits["train"]), "val_samples": len(splits["val"]),
                      "global_batch_size": cfg["train"]["batch_size"] * dist.world_size},
        )
    finally:
        session.close()


if __name__ == "__main__":
    try:
        main()
    except data.DatasetUnavailable as error:
        raise SystemExit(f"error: {error}")
    except KeyboardInterrupt:
        raise SystemExit(130)
