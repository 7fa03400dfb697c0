"""Train the classifier of this project (settings: config.toml).

    python train.py                       train with config.toml
    python train.py --smoke               tiny data and model: checks everything in seconds
    python train.py --resume              continue the latest run from its last checkpoint
    torchrun --nproc_per_node=4 train.py  one process per GPU (DistributedDataParallel)

The run log (runs/<run-name>/metrics.jsonl + run.json) is what Deep Learning Kit's training
monitor shows; checkpoints/<run-name>/ holds last.pt (for --resume) and best.pt.
"""
import torch
import torch.nn.functional as F

import data
import engine
from model import build_model


def train_step(model, batch, optimizer, scaler, device, use_amp=False, clip_grad_norm=0.0, label_smoothing=0.0):
    """One optimizer step on a batch (inputs, labels). Returns ({metric: tensor}, batch size)."""
    inputs = batch[0].to(device, non_blocking=True)
    labels = batch[1].to(device, non_blocking=True)
    with engine.autocast(device, use_amp):
        logits = model(inputs)  # (B, num_classes)
    loss = F.cross_entropy(logits.float(), labels, label_smoothing=label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()  # scaled so that small float16 gradients do not underflow
    if clip_grad_norm > 0:
        scaler.unscale_(optimizer)  # clip the true gradients
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
    scaler.step(optimizer)  # skipped when a gradient overflowed
    scaler.update()
    accuracy = (logits.detach().argmax(dim=1) == labels).float().mean()
    return {"loss": loss.detach(), "accuracy": accuracy}, labels.size(0)


@torch.no_grad()
def evaluate(model, loader, device, use_amp=False, dist=None):
    """Mean loss and accuracy over a loader (over every process's share with torchrun)."""
    model.eval()
    totals = torch.zeros(3, device=device)  # loss sum, correct, count
    for inputs, labels in loader:
        inputs, labels = inputs.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with engine.autocast(device, use_amp):
            logits = model(inputs)
        totals += torch.stack([
            F.cross_entropy(logits.float(), labels, reduction="sum"),
            (logits.argmax(dim=1) == labels).sum().float(),
            torch.tensor(float(labels.size(0)), device=device),
        ])
    if dist is not None:
        totals = dist.all_reduce_sum(totals)
    loss_sum, correct, count = totals.tolist()
    return {"loss": loss_sum / max(count, 1.0), "accuracy": correct / max(count, 1.0)}


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
        model = dist.wrap(net)  # DistributedDataParallel under torchrun
        optimizer = engine.build_optimizer(net.parameters(), cfg["optim"])
        scheduler = engine.build_scheduler(optimizer, cfg["schedule"], cfg["train"]["epochs"], len(train_loader))
        scaler = engine.make_scaler(session.use_amp)
        clip = cfg["optim"].get("clip_grad_norm", 0.0)
        smoothing = cfg["optim"].get("label_smoothing", 0.0)

        engine.fit(
            session,
            models={"model": model},
            optimizers={"optimizer": optimizer},
            schedulers={"scheduler": scheduler},
            scalers={"scaler": scaler},
            train_loader=train_loader,
            val_loader=val_loader,
            train_step=lambda batch: train_step(model, batch, optimizer, scaler, device, session.use_amp, clip,
                                                smoothing),
            evaluate=lambda loader: evaluate(net, loader, device, session.use_amp, dist),
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
