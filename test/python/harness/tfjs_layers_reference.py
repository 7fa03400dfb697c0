"""Expected outputs of Keras layers, computed in PyTorch (float64) from the layers' Keras definitions
and Keras weight layouts, for test_tfjs_layers.py. Nothing here calls TensorFlow or Keras: each
function says which Keras behaviour it reproduces, and builds on torch's own ops (nn.GRU,
group_norm, conv1d with autograd, einsum) rather than on the TypeScript being tested."""
import math

import torch
import torch.nn.functional as F

DOUBLE = torch.float64


def t(array):
    """A float64 torch tensor from a numpy array (the float32 values the probe also gets)."""
    return torch.as_tensor(array).to(DOUBLE)


# ------------------------------------------------------------------------------------ activations

def keras_activation(name):
    """Keras 2 activations by config name."""
    return {
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "hard_sigmoid": lambda x: torch.clamp(0.2 * x + 0.5, 0.0, 1.0),
        "relu": torch.relu,
        "linear": lambda x: x,
    }[name]


# ------------------------------------------------------------------------------------ GRU

def gru_with_torch(x, kernel, recurrent_kernel, bias):
    """Keras GRU(reset_after=True, tanh, sigmoid) through torch.nn.GRU. Keras keeps the gates in
    the order z, r, h along the columns of kernel (in, 3u) and recurrent_kernel (u, 3u), with the
    input bias in bias[0] and the recurrent bias in bias[1]; torch keeps r, z, n along the rows of
    weight_ih (3u, in) / weight_hh (3u, u). Its n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) is
    Keras' reset-after candidate. Returns the output sequence (B, T, u)."""
    units = recurrent_kernel.shape[0]

    def torch_order(matrix):  # (.., 3u) in z, r, h -> (3u, ..) in r, z, n
        z, r, h = torch.split(t(matrix), units, dim=-1)
        return torch.cat([r, z, h], dim=-1).transpose(0, -1)

    gru = torch.nn.GRU(kernel.shape[0], units, batch_first=True).to(DOUBLE)
    with torch.no_grad():
        gru.weight_ih_l0.copy_(torch_order(kernel))
        gru.weight_hh_l0.copy_(torch_order(recurrent_kernel))
        gru.bias_ih_l0.copy_(torch_order(bias[0]))
        gru.bias_hh_l0.copy_(torch_order(bias[1]))
        sequence, _ = gru(t(x))
    return sequence


def gru_loop(x, kernel, recurrent_kernel, bias=None, *, activation="tanh", recurrent_activation="sigmoid",
             go_backwards=False, mask=None, zero_output_for_mask=False):
    """Keras GRU(reset_after=True) step by step, with Keras' RNN loop rules: go_backwards walks the
    steps in reverse and returns the outputs in that (walking) order; at a masked step the state is
    carried over and the output is the previous output (zeros with zero_output_for_mask).
    Returns (outputs (B, T, u) in walking order, final state (B, u))."""
    act, rec_act = keras_activation(activation), keras_activation(recurrent_activation)
    x, kernel, recurrent_kernel = t(x), t(kernel), t(recurrent_kernel)
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    bias = torch.zeros(2, 3 * units, dtype=DOUBLE) if bias is None else t(bias)
    keep = torch.ones(batch, steps, dtype=DOUBLE) if mask is None else t(mask)
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    h = torch.zeros(batch, units, dtype=DOUBLE)
    previous_output = torch.zeros(batch, units, dtype=DOUBLE)
    outputs = []
    for step in order:
        xz, xr, xh = torch.split(x[:, step] @ kernel + bias[0], units, dim=-1)
        hz, hr, hh = torch.split(h @ recurrent_kernel + bias[1], units, dim=-1)
        z = rec_act(xz + hz)
        r = rec_act(xr + hr)
        candidate = act(xh + r * hh)
        new_h = z * h + (1 - z) * candidate
        m = keep[:, step:step + 1]
        h = m * new_h + (1 - m) * h
        masked_output = torch.zeros_like(new_h) if zero_output_for_mask else previous_output
        output = m * new_h + (1 - m) * masked_output
        outputs.append(output)
        previous_output = output
    return torch.stack(outputs, dim=1), h


# ------------------------------------------------------------------------------------ attention

def masked_softmax(scores, keep):
    """Keras' softmax with a mask: masked scores get -1e9 added before the softmax. Done in float32
    like Keras and TF.js, so a row with no key left is uniform as it is there (in float64 the
    scores would survive the -1e9 and still decide the row)."""
    if keep is None:
        return torch.softmax(scores, dim=-1)
    shifted = scores.float() - 1e9 * (1 - keep.float())
    return torch.softmax(shifted.to(DOUBLE), dim=-1)


def dot_attention(query, value, key=None, *, scale=None, concat_score_weight=None, keep=None, query_mask=None):
    """Keras Attention: scores q·kᵀ (times scale) for score_mode 'dot', or for 'concat'
    concat_score_weight * Σ tanh(scale * (q + k)); softmax over the keys with `keep` (1 = attend);
    then weights·v, zeroed where the query is masked. Returns (result, weights)."""
    query, value = t(query), t(value)
    key = value if key is None else t(key)
    if concat_score_weight is None:
        scores = query @ key.transpose(-1, -2)
        if scale is not None:
            scores = scores * scale
    else:
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if scale is not None:
            summed = summed * scale
        scores = concat_score_weight * torch.tanh(summed).sum(-1)
    weights = masked_softmax(scores, keep)
    result = weights @ value
    if query_mask is not None:
        result = result * t(query_mask).unsqueeze(-1)
    return result, weights


def additive_attention(query, value, key=None, *, scale=None):
    """Keras AdditiveAttention: scores Σ scale · tanh(q + k) over the feature axis."""
    query, value = t(query), t(value)
    key = value if key is None else t(key)
    activated = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
    if scale is not None:
        activated = activated * t(scale)
    weights = torch.softmax(activated.sum(-1), dim=-1)
    return weights @ value, weights


def causal_keep(tq, tk):
    """Keras' causal mask: query step i attends to key steps j <= i."""
    return torch.tril(torch.ones(tq, tk, dtype=DOUBLE))


def mha(query, value, key, weights, *, heads, key_dim, equations=None, keep=None):
    """Keras MultiHeadAttention with its EinsumDense projections written as einsums:
    weights = [Wq, bq, Wk, bk, Wv, bv, Wo, bo] (biases may be None), kernels (dim, heads, size),
    output kernel (heads, value_dim, out). `equations` = (scores, combine) einsums over the
    projected tensors for the attention axes; the default is the sequence case. `keep` broadcasts
    against the scores. Returns (output, attention weights)."""
    wq, bq, wk, bk, wv, bv, wo, bo = [None if w is None else t(w) for w in weights]
    query, value = t(query), t(value)
    key = value if key is None else t(key)

    def project(x, kernel, bias):
        y = torch.einsum("...d,dhk->...hk", x, kernel)
        return y if bias is None else y + bias

    q = project(query, wq, bq) / math.sqrt(key_dim)
    k = project(key, wk, bk)
    v = project(value, wv, bv)
    score_eq, combine_eq = equations or ("bqhk,bshk->bhqs", "bhqs,bshd->bqhd")
    scores = torch.einsum(score_eq, q, k)
    # The softmax runs over all key positions at once: flatten the trailing key axes.
    key_axes = _key_axes(score_eq)
    flat = scores.reshape(*scores.shape[:scores.dim() - key_axes], -1)
    flat_keep = None if keep is None else keep.expand(scores.shape).reshape(flat.shape)
    probabilities = masked_softmax(flat, flat_keep).reshape(scores.shape)
    attended = torch.einsum(combine_eq, probabilities, v)
    output = torch.einsum("...hd,hdo->...o", attended, wo.reshape(wo.shape[0], wo.shape[1], -1))
    output = output.reshape(*attended.shape[:-2], *wo.shape[2:])
    if bo is not None:
        output = output + bo
    return output, probabilities


def _key_axes(score_eq):
    """How many trailing axes of the scores are key positions: the letters of the key operand that
    are neither in the query operand nor the per-head feature letter."""
    left, output = score_eq.split("->")
    query_letters, key_letters = left.split(",")
    return sum(1 for letter in output if letter in key_letters and letter not in query_letters)


# ------------------------------------------------------------------------------------ convolution

def deconv_output_length(length, kernel, stride, padding, output_padding, dilation):
    """Keras' conv_utils.deconv_output_length."""
    kernel = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        return length * stride + max(kernel - stride, 0) if padding == "valid" else length * stride
    pad = kernel // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel - 2 * pad + output_padding


def conv1d_transpose(x, kernel, bias, *, stride, padding, dilation=1, output_padding=None):
    """Keras Conv1DTranspose (channels_last x (B, L, in), kernel (k, filters, in)): TensorFlow's
    conv1d_transpose is the adjoint (the gradient) of the forward convolution with the same
    kernel, stride, dilation and padding over an input of the output's length. torch.autograd
    computes that adjoint from torch's forward conv1d, padded the way TensorFlow pads 'same'."""
    x, kernel = t(x), t(kernel)
    batch, length, _ = x.shape
    size, filters, _ = kernel.shape
    out_length = deconv_output_length(length, size, stride, padding, output_padding, dilation)
    z = torch.zeros(batch, filters, out_length, dtype=DOUBLE, requires_grad=True)
    padded = z
    if padding == "same":
        effective = (size - 1) * dilation + 1
        total = max((math.ceil(out_length / stride) - 1) * stride + effective - out_length, 0)
        padded = F.pad(z, (total // 2, total - total // 2))
    forward = F.conv1d(padded, kernel.permute(2, 1, 0), stride=stride, dilation=dilation)  # (B, in, L)
    assert forward.shape[-1] == length, "the forward convolution must give back the input length"
    (forward * x.transpose(1, 2)).sum().backward()
    out = z.grad.transpose(1, 2)
    return out if bias is None else out + t(bias)
