#!/usr/bin/env python3
"""A stand-in for rembg's u2net.onnx with its signature AND its cost, for bench/mask-throughput.ts.

u2net.onnx (176 MB) cannot be downloaded on the development machine, so this builds the U^2-Net
architecture as the paper describes it (Qin et al., "U^2-Net: Going Deeper with Nested U-Structure
for Salient Object Detection", Pattern Recognition 2020, section 3 and Fig. 5), written here from
that description with onnx.helper, with seeded random weights:
  - REBNCONV = 3x3 conv (padding = dilation) + ReLU (inference-time batch norm folds into the conv);
  - RSU-L(Cin, M, Cout): conv in -> an L-level encoder of M channels with 2x2 max pools (ceil mode),
    its deepest conv dilated 2 -> a decoder of concatenations + bilinear 2x upsampling -> + input;
    RSU-4F: the same without pooling, dilations 1, 2, 4, 8;
  - six encoder stages RSU7(3,32,64), RSU6(64,32,128), RSU5(128,64,256), RSU4(256,128,512),
    RSU4F(512,256,512) x2, five decoder stages RSU4F(1024,256,512), RSU4(1024,128,256),
    RSU5(512,64,128), RSU6(256,32,64), RSU7(128,16,64); six 3x3 side outputs upsampled to 320,
    fused by a 1x1 conv; seven sigmoid outputs [N, 1, 320, 320] (rembg uses output 0).
Input 'input.1' float32 [N, 3, 320, 320] as rembg feeds it. The weights are random, so the masks
mean nothing; the arithmetic (which is what the benchmark measures) is u2net's: the script prints the
parameter count (the paper: 44.0 M, 176.3 MB) and the multiply-accumulates per image.

Usage: python3 bench/u2net_standin.py OUT.onnx   (needs numpy and onnx: pip install numpy onnx)
Not committed: about 176 MB, generated in a few seconds when the benchmark runs.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20200801)
nodes, inits = [], []
stats = {'params': 0, 'macs': 0}
counter = [0]


def name(prefix):
    counter[0] += 1
    return f'{prefix}_{counter[0]}'


def conv(x, cin, cout, size, k=3, dilation=1, relu=True):
    """x: tensor name at spatial size `size` (square). Returns the output name."""
    w = name('w')
    b = name('b')
    fan_in = cin * k * k
    inits.append(numpy_helper.from_array((rng.standard_normal((cout, cin, k, k)) / np.sqrt(fan_in)).astype(np.float32), w))
    inits.append(numpy_helper.from_array(np.zeros(cout, np.float32), b))
    stats['params'] += cout * cin * k * k + cout
    stats['macs'] += cout * cin * k * k * size * size
    y = name('conv')
    pad = dilation if k == 3 else 0
    nodes.append(helper.make_node('Conv', [x, w, b], [y], kernel_shape=[k, k], pads=[pad] * 4, dilations=[dilation] * 2))
    if not relu:
        return y
    r = name('relu')
    nodes.append(helper.make_node('Relu', [y], [r]))
    return r


def pool(x, size):
    y = name('pool')
    nodes.append(helper.make_node('MaxPool', [x], [y], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1))
    return y, -(-size // 2)


SCALES = {}


def upsample(x, factor):
    """Bilinear upsampling by an integer factor (every size here divides exactly, 320 = 2^6 * 5)."""
    if factor not in SCALES:
        SCALES[factor] = name('scales')
        inits.append(numpy_helper.from_array(np.array([1, 1, factor, factor], np.float32), SCALES[factor]))
    y = name('up')
    nodes.append(helper.make_node('Resize', [x, '', SCALES[factor]], [y], mode='linear'))
    return y


def cat(a, b):
    y = name('cat')
    nodes.append(helper.make_node('Concat', [a, b], [y], axis=1))
    return y


def add(a, b):
    y = name('add')
    nodes.append(helper.make_node('Add', [a, b], [y]))
    return y


def rsu(x, levels, cin, mid, cout, size):
    """RSU-L: levels = L (7, 6, 5, 4)."""
    hxin = conv(x, cin, cout, size)
    enc = []  # (tensor, size) of en1..en(L-1)
    h, s = conv(hxin, cout, mid, size), size
    enc.append((h, s))
    for _ in range(levels - 2):
        p, s = pool(h, s)
        h = conv(p, mid, mid, s)
        enc.append((h, s))
    bottom = conv(h, mid, mid, s, dilation=2)
    d = conv(cat(bottom, enc[-1][0]), 2 * mid, mid, enc[-1][1])
    for i in range(len(enc) - 2, -1, -1):
        up = upsample(d, enc[i][1] // enc[i + 1][1])
        d = conv(cat(up, enc[i][0]), 2 * mid, cout if i == 0 else mid, enc[i][1])
    return add(d, hxin)


def rsu4f(x, cin, mid, cout, size):
    hxin = conv(x, cin, cout, size)
    e1 = conv(hxin, cout, mid, size)
    e2 = conv(e1, mid, mid, size, dilation=2)
    e3 = conv(e2, mid, mid, size, dilation=4)
    e4 = conv(e3, mid, mid, size, dilation=8)
    d3 = conv(cat(e4, e3), 2 * mid, mid, size, dilation=4)
    d2 = conv(cat(d3, e2), 2 * mid, mid, size, dilation=2)
    d1 = conv(cat(d2, e1), 2 * mid, cout, size)
    return add(d1, hxin)


def build(path):
    size = 320
    x = 'input.1'
    h1 = rsu(x, 7, 3, 32, 64, size)
    p, s2 = pool(h1, size)
    h2 = rsu(p, 6, 64, 32, 128, s2)
    p, s3 = pool(h2, s2)
    h3 = rsu(p, 5, 128, 64, 256, s3)
    p, s4 = pool(h3, s3)
    h4 = rsu(p, 4, 256, 128, 512, s4)
    p, s5 = pool(h4, s4)
    h5 = rsu4f(p, 512, 256, 512, s5)
    p, s6 = pool(h5, s5)
    h6 = rsu4f(p, 512, 256, 512, s6)
    h5d = rsu4f(cat(upsample(h6, s5 // s6), h5), 1024, 256, 512, s5)
    h4d = rsu(cat(upsample(h5d, s4 // s5), h4), 4, 1024, 128, 256, s4)
    h3d = rsu(cat(upsample(h4d, s3 // s4), h3), 5, 512, 64, 128, s3)
    h2d = rsu(cat(upsample(h3d, s2 // s3), h2), 6, 256, 32, 64, s2)
    h1d = rsu(cat(upsample(h2d, size // s2), h1), 7, 128, 16, 64, size)
    sides = []
    for t, c, s in [(h1d, 64, size), (h2d, 64, s2), (h3d, 128, s3), (h4d, 256, s4), (h5d, 512, s5), (h6, 512, s6)]:
        d = conv(t, c, 1, s, relu=False)
        sides.append(d if s == size else upsample(d, size // s))
    fused = name('fused')
    nodes.append(helper.make_node('Concat', sides, [fused], axis=1))
    d0 = conv(fused, 6, 1, size, k=1, relu=False)
    outs = []
    for i, d in enumerate([d0] + sides):
        o = f'd{i}'
        nodes.append(helper.make_node('Sigmoid', [d], [o]))
        outs.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, ['batch', 1, 320, 320]))
    graph = helper.make_graph(
        nodes,
        'u2net_standin',
        [helper.make_tensor_value_info('input.1', TensorProto.FLOAT, ['batch', 3, 320, 320])],
        outs,
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    print(
        f'{path}: U^2-Net stand-in, {stats["params"] / 1e6:.1f} M parameters, '
        f'{stats["macs"] / 1e9:.1f} G multiply-accumulates (convolutions) per 320x320 image'
    )


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: python3 bench/u2net_standin.py OUT.onnx')
    build(sys.argv[1])
