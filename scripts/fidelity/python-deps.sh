#!/usr/bin/env bash
# Installs what the reference-side scripts in scripts/fidelity/ import, from Debian's packages
# (PIL 9.4, torch 1.13, torchvision 0.14, numpy 1.24 on Debian 12: the versions the golden
# fixtures use), unless /usr/bin/python3 already has them.
set -euo pipefail
if /usr/bin/python3 -c 'import numpy, PIL, torch, torchvision' 2>/dev/null; then exit 0; fi
pkgs=(python3-numpy python3-pil python3-torch python3-torchvision)
if [ "$(id -u)" -eq 0 ]; then
  apt-get install -y "${pkgs[@]}" >&2
else
  sudo apt-get install -y "${pkgs[@]}" >&2
fi
