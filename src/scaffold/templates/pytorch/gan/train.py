"""Train the DCGAN of this project (settings: config.toml).

    python train.py                       train with config.toml
    python train.py --smoke               tiny data and model: checks everything in seconds
    python train.py --resume              continue the latest run from its last checkpoint
    torchrun --nproc_per_node=4 train.py  one process per GPU (DistributedDataParallel)

The run log (runs/<run-name>/metrics.jsonl + run.json) is what Deep Learning Kit's training
monitor shows; runs/<run-name>/samples/ gets a grid of generated images after every epoch;
checkpoints/<run-name>/ holds last.pt (for --resume) and best.pt.
"""
import torch
import torch.nn.functional as F

import data
import engine
from images import save_image_grid
from model import build_models


def to_gan_range(images):
    """[0, 1] -> [-1, 1], the range of the generator's tanh."""
    return images * 2.0 - 1.0


def to_image_range(images):
    return (images + 1.0) / 2.0


def discriminator_step(discriminator, real, fake, optimizer, scaler, use_amp=False, real_label=1.0):
    """One discriminator update: real images -> real_label, fakes (detached) -> 0."""
    optimizer.zero_grad(set_to_none=True)
    # Two passes (real, then fake) keep batch norm statistics apart; under torchrun the first pass's
    # gradients stay local and are all-reduced together with the second's.
    with engine.no_sync(discriminator, True):
        with engine.autocast(real.device, use_amp):
            real_logits = discriminator(real)  # (B, 1)
        loss_real = F.binary_cross_entropy_with_logits(real_logits.float(), torch.full_like(real_logits.float(), real_label))
        scaler.scale(loss_real).backward()
    with engine.autocast(real.device, use_amp):
        fake_logits = discriminator(fake)
    loss_fake = F.binary_cross_entropy_with_logits(fake_logits.float(), torch.zeros_like(fake_logits.float()))
    scaler.scale(loss_fake).backward()
    scaler.step(optimizer)
    scaler.update()
    return {
        "d_loss": (loss_real + loss_fake).detach(),
        "d_real": torch.sigmoid(real_logits.detach().float()).mean(),  # D's "real" probability for real images
        "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),  # ... and for fakes
    }


def generator_step(discriminator, fake, optimizer, scaler, use_amp=False):
    """One generator update: make the discriminator call the fakes real (non-saturating loss)."""
    optimizer.zero_grad(set_to_none=True)
    # The discriminator's own gradients from this pass are thrown away: no need to all-reduce them.
    with engine.no_sync(discriminator, True):
        with engine.autocast(fake.device, use_amp):
            logits = discriminator(fake)
        loss = F.binary_cross_entropy_with_logits(logits.float(), torch.ones_like(logits.float()))
        scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def train_step(generator, discriminator, batch, opt_g, opt_d, scaler_g, scaler_d, latent_dim, device, use_amp=False,
               real_label=1.0):
    """One discriminator and one generator update on a batch (images, labels); labels are ignored."""
    real = to_gan_range(batch[0].to(device, non_blocking=True))
    z = torch.randn(real.size(0), latent_dim, device=device)
    with engine.autocast(device, use_amp):
        fake = generator(z)  # (B, C, S, S)
    d = discriminator_step(discriminator, real, fake.detach(), opt_d, scaler_d, use_amp, real_label)
    g_loss = generator_step(discriminator, fake, opt_g, scaler_g, use_amp)
    return {"d_loss": d["d_loss"], "g_loss": g_loss, "d_real": d["d_real"], "d_fake": d["d_fake"]}, real.size(0)


@torch.no_grad()
def evaluate(generator, discriminator, loader, latent_dim, device, use_amp=False, dist=None, seed=0):
    """Both losses on held-out real images and on fakes from fixed noise (GAN losses say how the two
    networks compare, not how good the images are: look at the samples)."""
    generator.eval()
    discriminator.eval()
    noise = torch.Generator().manual_seed(seed)
    totals = torch.zeros(5, device=device)  # d_loss, g_loss, d_real, d_fake sums; count
    for images, _ in loader:
        real = to_gan_range(images.to(device, non_blocking=True))
        z = torch.randn(real.size(0), latent_dim, generator=noise).to(device)
        with engine.autocast(device, use_amp):
            real_logits = discriminator(real).float()
            fake_logits = discriminator(generator(z)).float()
        totals += torch.stack([
            F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits), reduction="sum")
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits), reduction="sum"),
            F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits), reduction="sum"),
            torch.sigmoid(real_logits).sum(),
            torch.sigmoid(fake_logits).sum(),
            torch.tensor(float(real.size(0)), device=device),
        ])
    if dist is not None:
        totals = dist.all_reduce_sum(totals)
    *sums, count = totals.tolist()
    return dict(zip(("d_loss", "g_loss", "d_real", "d_fake"), (s / max(count, 1.0) for s in sums)))


@torch.no_grad()
def generate(generator, z):
    """Images in [0, 1] from noise z (B, latent_dim)."""
    generator.eval()
    return to_image_range(generator(z).float())


def main(argv=None):
    args = engine.parse_args(__doc__, argv)
    session = engine.setup(args)
    cfg, device, dist = session.cfg, session.device, session.dist
    try:
        with dist.main_first():  # a download happens once per machine, in its first process
            splits, info = data.build_datasets(cfg["data"], seed=cfg["run"]["seed"], info=session.info)
        train_loader = engine.make_loader(splits["train"], cfg, dist, train=True, collate_fn=data.collate)
        val_loader = engine.make_loader(splits["val"], cfg, dist, train=False, collate_fn=data.collate)

        gen_net, disc_net = build_models(cfg["model"], info)
        gen_net, disc_net = gen_net.to(device), disc_net.to(device)
        generator, discriminator = dist.wrap(gen_net), dist.wrap(disc_net)
        optim = cfg["optim"]
        opt_g = engine.build_optimizer(gen_net.parameters(), optim, lr=optim["lr_g"])
        opt_d = engine.build_optimizer(disc_net.parameters(), optim, lr=optim["lr_d"])
        epochs, steps = cfg["train"]["epochs"], len(train_loader)
        sched_g = engine.build_scheduler(opt_g, cfg["schedule"], epochs, steps)
        sched_d = engine.build_scheduler(opt_d, cfg["schedule"], epochs, steps)
        scaler_g, scaler_d = engine.make_scaler(session.use_amp), engine.make_scaler(session.use_amp)
        latent_dim = cfg["model"]["latent_dim"]
        real_label = optim.get("real_label", 1.0)
        samples = cfg["samples"]
        fixed_noise = torch.randn(samples["num"], latent_dim, generator=torch.Generator().manual_seed(cfg["run"]["seed"]))

        def write_samples(epoch, step):
            if dist.is_main and samples.get("every_epochs", 1) > 0 and epoch % samples.get("every_epochs", 1) == 0:
                images = generate(gen_net, fixed_noise.to(device))
                save_image_grid(images, session.run_dir / "samples" / f"epoch_{epoch:03d}.png", nrow=samples["nrow"])

        engine.fit(
            session,
            models={"generator": generator, "discriminator": discriminator},
            optimizers={"generator": opt_g, "discriminator": opt_d},
            schedulers={"generator": sched_g, "discriminator": sched_d},
            scalers={"generator": scaler_g, "discriminator": scaler_d},
            train_loader=train_loader,
            val_loader=val_loader,
            train_step=lambda batch: train_step(generator, discriminator, batch, opt_g, opt_d, scaler_g, scaler_d,
                                                latent_dim, device, session.use_amp, real_label),
            evaluate=lambda loader: evaluate(gen_net, disc_net, loader, latent_dim, device, session.use_amp, dist,
                                             seed=cfg["run"]["seed"]),
            on_epoch_end=write_samples,
            info=info,
            run_info={"model": "DCGAN", "generator_params": engine.count_parameters(gen_net),
                      "discriminator_params": engine.count_parameters(disc_net),
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
