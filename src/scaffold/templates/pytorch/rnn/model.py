"""The RNN sequence classifier: padded token ids (B, T) -> class logits (B, num_classes)."""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence


class RNNClassifier(nn.Module):
    """Embedding, a (bidirectional) LSTM or GRU over the real tokens only (packed sequences: the padding
    is never read), then dropout and a linear head on the last hidden state."""

    def __init__(self, vocab_size, num_classes, cell="lstm", embed_dim=128, hidden_size=256, num_layers=2,
                 bidirectional=True, dropout=0.3, pad_idx=0):
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f"model.cell = {cell!r}: use lstm or gru")
        self.pad_idx = pad_idx
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_idx)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(embed_dim, hidden_size, num_layers=num_layers, batch_first=True, bidirectional=bidirectional,
                       dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear((2 if bidirectional else 1) * hidden_size, num_classes)

    def forward(self, tokens):  # tokens: (B, T) int64, padded with pad_idx at the end
        lengths = (tokens != self.pad_idx).sum(dim=1).clamp(min=1)  # (B,) real lengths
        x = self.dropout(self.embedding(tokens))  # (B, T, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h_n = self.rnn(packed)
        if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
            h_n = h_n[0]
        # h_n: (num_layers * directions, B, H); the last layer's forward (and backward) state
        h = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.rnn.bidirectional else h_n[-1]  # (B, directions * H)
        return self.head(self.dropout(h))  # (B, num_classes)


def build_model(cfg_model, info):
    """The model for config.toml's [model] and the data description from data.build_datasets()."""
    return RNNClassifier(
        vocab_size=info["vocab_size"],
        num_classes=info["num_classes"],
        cell=cfg_model["cell"],
        embed_dim=cfg_model["embed_dim"],
        hidden_size=cfg_model["hidden_size"],
        num_layers=cfg_model["num_layers"],
        bidirectional=cfg_model["bidirectional"],
        dropout=cfg_model["dropout"],
        pad_idx=info["pad_idx"],
    )
