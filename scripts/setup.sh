#!/usr/bin/env bash
# One set-up for every machine (fresh clones, CI): npm packages, the embedded servers' binaries
# (Temporal dev server, MinIO), and the native TensorFlow backend for tfjs. Idempotent and quick
# when everything is in place, so `npm run smoke` and `npm test` call it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages: reinstall only when package-lock.json changed since the last install.
stamp=node_modules/.bgbias-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] npm ci" >&2
  # onnxruntime-node's install script would fetch CUDA providers from NuGet: not needed on CPU.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

bash scripts/setup-tools.sh
bash scripts/setup-tensorflow.sh
