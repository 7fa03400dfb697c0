"""The Transformer encoder classifier: padded token ids (B, T) -> class logits (B, num_classes)."""
import math

import torch
import torch.nn as nn


class PositionalEncoding(nn.Module):
    """Adds fixed sinusoidal position signals (Vaswani et al.): (B, T, d_model) -> (B, T, d_model)."""

    def __init__(self, d_model, max_len=512, dropout=0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)  # (max_len, 1)
        div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(1, max_len, d_model)
        pe[0, :, 0::2] = torch.sin(position * div_term)  # even dimensions
        pe[0, :, 1::2] = torch.cos(position * div_term[: d_model // 2])  # odd dimensions
        self.register_buffer("pe", pe)  # saved with the model, moved by .to(device), never trained

    def forward(self, x):  # x: (B, T, d_model), T <= max_len
        return self.dropout(x + self.pe[:, : x.size(1)])


class TransformerClassifier(nn.Module):
    """Token embedding + positional encoding, a pre-norm Transformer encoder that never attends to
    padding (src_key_padding_mask), mean pooling over the real tokens, and a linear head."""

    def __init__(self, vocab_size, num_classes, d_model=128, nhead=4, num_layers=2, dim_feedforward=512,
                 dropout=0.1, activation="gelu", max_len=512, pad_idx=0):
        super().__init__()
        if d_model % nhead:
            raise ValueError(f"model.d_model ({d_model}) must be divisible by model.nhead ({nhead})")
        self.pad_idx = pad_idx
        self.scale = math.sqrt(d_model)
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_idx)
        nn.init.normal_(self.embedding.weight, std=d_model ** -0.5)  # x sqrt(d_model) below: unit scale
        with torch.no_grad():
            self.embedding.weight[pad_idx].zero_()
        self.pos_encoding = PositionalEncoding(d_model, max_len, dropout)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation=activation,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, tokens):  # tokens: (B, T) int64, each row with at least one real token
        padding_mask = tokens == self.pad_idx  # (B, T) True = padding: never attended to
        x = self.pos_encoding(self.embedding(tokens) * self.scale)  # (B, T, d_model)
        x = self.encoder(x, src_key_padding_mask=padding_mask)  # (B, T, d_model)
        keep = (~padding_mask).unsqueeze(-1).type_as(x)  # (B, T, 1)
        pooled = (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)  # mean over real tokens: (B, d_model)
        return self.head(pooled)  # (B, num_classes)


def build_model(cfg_model, info):
    """The model for config.toml's [model] and the data description from data.build_datasets()."""
    return TransformerClassifier(
        vocab_size=info["vocab_size"],
        num_classes=info["num_classes"],
        d_model=cfg_model["d_model"],
        nhead=cfg_model["nhead"],
        num_layers=cfg_model["num_layers"],
        dim_feedforward=cfg_model["dim_feedforward"],
        dropout=cfg_model["dropout"],
        activation=cfg_model.get("activation", "gelu"),
        max_len=info["max_len"],
        pad_idx=info["pad_idx"],
    )
