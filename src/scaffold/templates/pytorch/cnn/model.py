"""The CNN image classifier: images (B, C, H, W) -> class logits (B, num_classes)."""
import torch.nn as nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}


class ConvNet(nn.Module):
    """Three conv blocks (each: two 3x3 conv + batch norm, then 2x2 max-pool), global average pooling
    and a dropout + linear head. Any image of at least 8x8 pixels works."""

    def __init__(self, in_channels=1, num_classes=10, width=32, dropout=0.2, activation="relu"):
        super().__init__()
        act = ACTIVATIONS[activation]

        def block(c_in, c_out):  # (B, c_in, H, W) -> (B, c_out, H/2, W/2)
            return nn.Sequential(
                nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                act(),
                nn.Conv2d(c_out, c_out, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                act(),
                nn.MaxPool2d(2),
            )

        self.features = nn.Sequential(
            block(in_channels, width),  # (B, W, H/2, W/2)
            block(width, 2 * width),  # (B, 2W, H/4, W/4)
            block(2 * width, 4 * width),  # (B, 4W, H/8, W/8)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)  # (B, 4W, 1, 1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(4 * width, num_classes))

    def forward(self, images):  # images: (B, C, H, W)
        return self.head(self.pool(self.features(images)))  # logits: (B, num_classes)


def build_model(cfg_model, info):
    """The model for config.toml's [model] and the data description from data.build_datasets()."""
    if info["image_size"] < 8:
        raise ValueError(f"ConvNet needs images of at least 8x8 pixels, not {info['image_size']}")
    return ConvNet(in_channels=info["channels"], num_classes=info["num_classes"], width=cfg_model["width"],
                   dropout=cfg_model["dropout"], activation=cfg_model.get("activation", "relu"))
