#!/usr/bin/env bash
# The PyTorch side of bench/input-pipeline.ts (and the other benches' PyTorch sides): Debian 12's
# python3-torch 1.13, python3-torchvision 0.14 and python3-pil 9.4, the versions the golden fixtures
# were made with. Needs root (or sudo) and Debian's package mirror.
set -euo pipefail
if /usr/bin/python3 -c 'import torch, torchvision, PIL' 2>/dev/null; then
  echo "torch, torchvision and PIL are installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update
$SUDO apt-get install -y python3-torch python3-torchvision python3-pil python3-numpy
/usr/bin/python3 -c 'import torch, torchvision, PIL; print("torch", torch.__version__, "torchvision", torchvision.__version__, "PIL", PIL.__version__)'
