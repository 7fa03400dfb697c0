"""The CNN: shapes, the synthetic data, and one training step."""
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import data
import engine
import train
from model import build_model


@pytest.mark.parametrize("channels, size", [(1, 28), (3, 32), (1, 16)])
def test_output_shape(smoke_config, channels, size):
    model = build_model(smoke_config["model"], {"channels": channels, "image_size": size, "num_classes": 10}).eval()
    assert model(torch.rand(4, channels, size, size)).shape == (4, 10)


def test_synthetic_images(smoke_config):
    splits, info = data.build_datasets(smoke_config["data"], seed=0)
    image, label = splits["train"][0]
    assert image.shape == (info["channels"], info["image_size"], info["image_size"])
    assert 0.0 <= image.min() and image.max() <= 1.0 and 0 <= int(label) < info["num_classes"]
    again, _ = data.build_datasets(smoke_config["data"], seed=0)
    assert torch.equal(again["train"][5][0], splits["train"][5][0])  # the same seed, the same data
    assert not torch.equal(splits["val"][0][0], splits["train"][0][0])  # the splits differ


def test_one_training_step_lowers_the_loss(smoke_config):
    cfg = smoke_config
    splits, info = data.build_datasets(cfg["data"], seed=0)
    images, labels = next(iter(DataLoader(splits["train"], batch_size=32)))
    model = build_model(cfg["model"], info)
    optimizer = engine.build_optimizer(model.parameters(), cfg["optim"], lr=1e-3)

    def loss_now():
        torch.manual_seed(1)  # the same dropout masks each time
        model.train()
        with torch.no_grad():
            return F.cross_entropy(model(images), labels).item()

    before = loss_now()
    metrics, n = train.train_step(model, (images, labels), optimizer, engine.make_scaler(False), torch.device("cpu"))
    assert n == 32 and set(metrics) == {"loss", "accuracy"}
    assert loss_now() < before
