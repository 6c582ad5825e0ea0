"""Small CNN + BiGRU CTC recogniser. Input [N,1,32,W] (value/1 - 0.5, padding -0.5),
output [W/4, N, classes] log-softmax (class 0 = CTC blank)."""
from __future__ import annotations

import torch
from torch import nn

H = 32
DOWNSAMPLE = 4


def conv_bn(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class Recognizer(nn.Module):
    def __init__(self, n_classes: int, width: str = "base"):
        super().__init__()
        c = {"base": (16, 48, 64, 96, 128, 128, 96), "big": (24, 64, 96, 128, 160, 160, 128)}[width]
        self.cnn = nn.Sequential(
            *conv_bn(1, c[0]), nn.MaxPool2d(2, 2),              # 16 x W/2
            *conv_bn(c[0], c[1]), nn.MaxPool2d(2, 2),           # 8 x W/4
            *conv_bn(c[1], c[2]),
            *conv_bn(c[2], c[3]), nn.MaxPool2d((2, 1), (2, 1)),  # 4 x W/4
            *conv_bn(c[3], c[4]), nn.MaxPool2d((2, 1), (2, 1)),  # 2 x W/4
        )
        self.proj = nn.Sequential(nn.Linear(c[4] * 2, c[5]), nn.ReLU(inplace=True))
        self.rnn = nn.GRU(c[5], c[6], num_layers=1, bidirectional=True)
        self.out = nn.Linear(2 * c[6], n_classes)

    def forward(self, x):
        f = self.cnn(x)                      # N, C, 2, T
        n, ch, hh, t = f.shape
        f = f.reshape(n, ch * hh, t).permute(2, 0, 1)  # T, N, C*2
        f = self.proj(f)
        f, _ = self.rnn(f)
        return torch.log_softmax(self.out(f), dim=2)  # T, N, classes


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
