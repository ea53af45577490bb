"""PyTorch side of bench/train-throughput.ts: the same networks, loss and optimiser on CPU.

small:       lib/ml/models/smallCnn.ts (input /128, 4x [conv4x4 s2 pad 1 + bias + ReLU] 32-64-128-128, GAP,
             Linear -> 128, L2 normalisation), 64x64.
bninception: Cadene's BNInception (pretrainedmodels 0.7.4, the class lib/ml/models/bnInception.ts
             ports; loaded by scripts/fixtures/cadene.py)
             features -> spatial mean -> Linear(1024, 128) -> L2 norm, 227x227, BN in eval mode.
Loss: pytorch-metric-learning 1.7.3 ContrastiveLoss with the cars196 margins (docs/protocol.md section 8),
labels batch/4 classes x 4. Optimiser: torch.optim.RMSprop(lr 1e-6, alpha 0.99, eps 1e-8,
weight_decay 1e-4, momentum 0.9), the paper's settings.
Prints one line 'RESULT {json}' like the TypeScript worker; with --profile, a table of aten ops.
Run by the driver; standalone: /usr/bin/python3 bench/torch_train_throughput.py --model small --threads 2
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_metric_learning.losses import ContrastiveLoss

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "fixtures"))
from cadene import load_cadene  # noqa: E402  (the same loader as the golden fixtures)

CARS196_CONTRASTIVE = dict(pos_margin=0.26523381895861114, neg_margin=0.5409405918690342)
PER_CLASS = 4


class BnInceptionEmbedder(nn.Module):
    """The reference implementation's model: Cadene trunk (classifier unused) + embedder + L2 norm."""

    def __init__(self, embedding_size=128):
        super().__init__()
        trunk = load_cadene()(num_classes=1000)
        del trunk.last_linear  # unused: no parameters that the optimiser would skip
        self.trunk = trunk
        self.embedder = nn.Linear(1024, embedding_size)

    def forward(self, x):
        return F.normalize(self.embedder(self.trunk.features(x).mean((2, 3))), dim=1)


class SmallCnn(nn.Module):
    def __init__(self, width=32, embedding_size=128):
        super().__init__()
        chans = [3] + [width * m for m in (1, 2, 4, 4)]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 4, 2, 1) for a, b in zip(chans, chans[1:]))
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
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    small = a.model == "small"
    size = 64 if small else 227
    net = SmallCnn() if small else BnInceptionEmbedder()
    net.eval()  # BatchNorm in inference mode, as in the paper's training (EmbeddingModel contract)
    x = torch.randn(a.batch, 3, size, size) * 60  # NCHW: PyTorch's native CPU layout
    labels = torch.arange(a.batch) // PER_CLASS
    loss_fn = ContrastiveLoss(**CARS196_CONTRASTIVE)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-6, alpha=0.99, eps=1e-8, weight_decay=1e-4, momentum=0.9)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), labels)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    if a.profile:
        with torch.autograd.profiler.profile() as prof:
            t0 = time.perf_counter()
            step()
            wall = time.perf_counter() - t0
        print(f"torch step: {wall * 1000:.0f} ms wall (profiled)")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
        return
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
