#!/usr/bin/env python3
"""PML 1.7.3 AccuracyCalculator (k="max_bin_count", query = reference, faiss IndexFlatL2) on .npy files.

Usage: /usr/bin/python3 bench/pml_evaluate_sop.py EMBEDDINGS.npy LABELS.npy
Prints one JSON line: the three metrics, k, seconds for get_accuracy, and this process's peak RSS.
Thread count: set OMP_NUM_THREADS (faiss) before starting, as the caller (bench/evaluate-sop.ts) does.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from fixture_env import stub_sklearn  # noqa: E402

stub_sklearn()  # accuracy_calculator's NMI/AMI only (not computed here; sklearn absent)
import faiss  # noqa: F401
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator


def main():
    emb = np.load(sys.argv[1])
    labels = np.load(sys.argv[2])
    torch.set_num_threads(int(__import__("os").environ.get("OMP_NUM_THREADS", "1")))
    calc = AccuracyCalculator(include=("mean_average_precision_at_r", "precision_at_1", "r_precision"),
                              k="max_bin_count", device=torch.device("cpu"))
    t0 = time.perf_counter()
    acc = calc.get_accuracy(emb, emb, labels, labels, True)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "mapAtR": acc["mean_average_precision_at_r"], "precisionAt1": acc["precision_at_1"],
        "rPrecision": acc["r_precision"], "k": int(np.bincount(labels).max()) - 1, "seconds": seconds,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
