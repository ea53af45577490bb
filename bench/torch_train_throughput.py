"""PyTorch side of bench/train-throughput.ts: the same networks, loss and optimiser on CPU.

small:       lib/ml/models/smallCnn.ts (input /128, 4x [conv3x3 s2 + bias + ReLU] 32-64-128-128, GAP,
             Linear -> 128, L2 normalisation).
bninception: bench/bnInceptionStandIn.ts (BN-Inception layer list, BN in eval mode with trainable
             gamma/beta, k//2 padding so spatial sizes equal TF 'same': 227 -> 114 -> 57 -> 29 -> 15 -> 8).
Loss: -mean(<embedding, fixed unit target>). Optimiser: RMSprop(lr 1e-5, alpha 0.9, eps 1e-8).
Prints one line 'RESULT {json}' like the TypeScript worker.
Run by the driver; standalone: /usr/bin/python3 bench/torch_train_throughput.py --model small --threads 2
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (1x1, 3x3 reduce, 3x3, double reduce, double 3x3, pool proj (0 = none), pool, stride)
MODULES = [
    ("3a", (64, 64, 64, 64, 96, 32, "avg", 1)),
    ("3b", (64, 64, 96, 64, 96, 64, "avg", 1)),
    ("3c", (0, 128, 160, 64, 96, 0, "max", 2)),
    ("4a", (224, 64, 96, 96, 128, 128, "avg", 1)),
    ("4b", (192, 96, 128, 96, 128, 128, "avg", 1)),
    ("4c", (160, 128, 160, 128, 160, 128, "avg", 1)),
    ("4d", (96, 128, 192, 160, 192, 128, "avg", 1)),
    ("4e", (0, 128, 192, 192, 256, 0, "max", 2)),
    ("5a", (352, 192, 320, 160, 224, 128, "avg", 1)),
    ("5b", (352, 192, 320, 192, 224, 128, "max", 1)),
]


class ConvBn(nn.Module):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, cin, spec):
        super().__init__()
        c1, c3r, c3, d3r, d3, proj, pool, stride = spec
        self.b1 = ConvBn(cin, c1, 1) if c1 else None
        self.b3 = nn.Sequential(ConvBn(cin, c3r, 1), ConvBn(c3r, c3, 3, stride))
        self.d3 = nn.Sequential(ConvBn(cin, d3r, 1), ConvBn(d3r, d3, 3), ConvBn(d3, d3, 3, stride))
        pool_layer = nn.AvgPool2d(3, stride, 1) if pool == "avg" else nn.MaxPool2d(3, stride, 1)
        self.pool = nn.Sequential(pool_layer, ConvBn(cin, proj, 1)) if proj else pool_layer
        self.out = (c1 or 0) + c3 + d3 + (proj or cin)

    def forward(self, x):
        outs = ([self.b1(x)] if self.b1 is not None else []) + [self.b3(x), self.d3(x), self.pool(x)]
        return torch.cat(outs, 1)


class BnInceptionStandIn(nn.Module):
    def __init__(self, embedding_size=128):
        super().__init__()
        layers = [ConvBn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1), ConvBn(64, 64, 1), ConvBn(64, 192, 3), nn.MaxPool2d(3, 2, 1)]
        cin = 192
        for _, spec in MODULES:
            m = Inception(cin, spec)
            layers.append(m)
            cin = m.out
        self.trunk = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, embedding_size)

    def forward(self, x):
        return F.normalize(self.fc(self.trunk(x).mean((2, 3))), dim=1)


class SmallCnn(nn.Module):
    def __init__(self, width=32, embedding_size=128):
        super().__init__()
        chans = [3] + [width * m for m in (1, 2, 4, 4)]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, 2, 1) for a, b in zip(chans, chans[1:]))
        self.fc = nn.Linear(chans[-1], embedding_size)

    def forward(self, x):
        x = x / 128.0
        for c in self.convs:
            x = F.relu(c(x))
        return F.normalize(self.fc(x.mean((2, 3))), dim=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["small", "bninception"], default="small")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    size = 64 if a.model == "small" else 227
    net = SmallCnn() if a.model == "small" else BnInceptionStandIn()
    net.eval()  # BatchNorm in inference mode, as in the paper's training (EmbeddingModel contract)
    x = torch.randn(a.batch, 3, size, size) * 60  # NCHW: PyTorch's native CPU layout
    target = F.normalize(torch.randn(a.batch, 128), dim=1)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-5, alpha=0.9, eps=1e-8)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = -(net(x) * target).sum(1).mean()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print("RESULT " + json.dumps({
        "framework": f"torch {torch.__version__}",
        "model": a.model,
        "threads": torch.get_num_threads(),
        "batch": a.batch,
        "stepSeconds": times,
        "imgPerSec": a.batch * a.steps / sum(times),
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "version": torch.__version__,
    }))


if __name__ == "__main__":
    main()
