#!/usr/bin/env bash
# Puts the CUDA 12 / cuDNN 9 libraries that TensorFlow's GPU wheel needs into one folder, from NVIDIA's
# PyPI wheels, and prints that folder (the value for LD_LIBRARY_PATH) on stdout.
#
# Why: TensorFlow's `tensorflow` wheel dlopen()s libcudart, cuBLAS, cuFFT, cuSOLVER, cuSPARSE, CUPTI,
# cuDNN and NCCL at run time. From Python, `pip install tensorflow[and-cuda]` puts them beside the
# wheel; tfjs-node-gpu loads the same libtensorflow from Node, where nothing does that. The wheel's
# METADATA names the exact NVIDIA wheels (extra "and-cuda"); this script downloads those (at the
# lowest version it allows, which is what TensorFlow was built against: cuDNN 9.3.0 for 2.21; TF
# refuses a cuDNN with a lower minor version) and links every shared library into <dir>/lib.
# The NVIDIA driver (libcuda.so.1, libnvidia-ml.so.1) is not in any wheel: it comes from the host
# (or the NVIDIA container runtime). What this set was checked for: docs/gpu-build.md.
#
# Idempotent (cached under .tools/cuda/). About 1.9 GB of wheels, 2.8 GB unpacked.
# Usage: bash scripts/setup-cuda-wheels.sh [--versions min|latest]
#   min    (default) each wheel at the lower bound TensorFlow's METADATA gives (its build versions)
#   latest the newest version pip finds inside TensorFlow's range (what `pip install tensorflow[and-cuda]` picks today)
# Environment:
#   BGBIAS_TF_WHEEL_VERSION  TensorFlow version whose METADATA is read (default 2.21.0)
#   BGBIAS_TF_WHEEL_FILE     that wheel, when not in .tools/tensorflow/wheels (scripts/setup-tensorflow.sh puts it there)
#   BGBIAS_CUDA_DIR          where to put the libraries (default .tools/cuda)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { echo "[setup-cuda-wheels] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

MODE=min
while [ $# -gt 0 ]; do
  case "$1" in
    --versions) MODE=${2:-}; shift 2 ;;
    *) die "unknown argument $1 (usage: --versions min|latest)" ;;
  esac
done
[ "$MODE" = min ] || [ "$MODE" = latest ] || die "--versions must be min or latest, got '$MODE'"

TF_VERSION=${BGBIAS_TF_WHEEL_VERSION:-2.21.0}
CUDA_DIR=${BGBIAS_CUDA_DIR:-$ROOT/.tools/cuda}
command -v python3 >/dev/null || die "python3 (with pip) is needed to download NVIDIA's wheels from PyPI"
command -v readelf >/dev/null || die "readelf not found (apt-get install binutils)"

tf_wheel=${BGBIAS_TF_WHEEL_FILE:-}
if [ -z "$tf_wheel" ]; then
  tf_wheel=$(find "$ROOT/.tools/tensorflow/wheels" -maxdepth 1 -name "tensorflow-${TF_VERSION}-*manylinux*x86_64.whl" 2>/dev/null | head -n1)
fi
[ -n "$tf_wheel" ] && [ -f "$tf_wheel" ] ||
  die "TensorFlow's GPU wheel tensorflow==$TF_VERSION is not in .tools/tensorflow/wheels: run BGBIAS_TF_WHEEL=tensorflow bash scripts/setup-tensorflow.sh first (or set BGBIAS_TF_WHEEL_FILE)"

# The and-cuda requirements, one per line: "<name> <specifier>" (e.g. "nvidia-cudnn-cu12 <10.0,>=9.3.0.75").
reqs=$(python3 - "$tf_wheel" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
    text = z.read(meta).decode()
found = 0
for line in text.splitlines():
    m = re.match(r'Requires-Dist:\s*([A-Za-z0-9_.-]+)\s*\(?([^;)]*)\)?\s*;\s*extra\s*==\s*"and-cuda"', line)
    if m:
        print(m.group(1), m.group(2).replace(' ', ''))
        found += 1
if not found:
    sys.exit(f'{meta} has no Requires-Dist for the extra "and-cuda": not a CUDA-enabled TensorFlow wheel')
PY
) || die "could not read the and-cuda requirements from $(basename "$tf_wheel")"

# The pip requirement for each wheel: the lower bound (min) or the whole range (latest).
specs=()
while read -r name spec; do
  if [ "$MODE" = min ]; then
    lower=$(printf '%s\n' "$spec" | tr ',' '\n' | sed -n 's/^>=//p' | head -n1)
    [ -n "$lower" ] || die "$name has no lower bound in '$spec'; use --versions latest"
    specs+=("$name==$lower")
  else
    specs+=("$name$spec")
  fi
done <<<"$reqs"

WHEELS=$CUDA_DIR/wheels
DEST=$CUDA_DIR/tf-$TF_VERSION-$MODE
mkdir -p "$WHEELS"
# The stamp names the layout version too, so a change to this script's layout redoes the folder.
STAMP="layout 2: ${specs[*]}"
if [ -f "$DEST/.complete" ] && [ "$(cat "$DEST/.complete")" = "$STAMP" ]; then
  log "already set up: ${#specs[@]} NVIDIA wheels for tensorflow $TF_VERSION ($MODE) in $DEST"
  echo "$DEST/lib"
  exit 0
fi

log "downloading ${#specs[@]} NVIDIA wheels for tensorflow $TF_VERSION ($MODE versions; about 1.9 GB once, cached in $WHEELS)"
# pip names each wheel it chose ("Saved <path>" or "File was already downloaded <path>"), so the exact
# versions are known in both modes.
pip_log=$(mktemp)
trap 'rm -f "$pip_log"' EXIT
python3 -m pip download --no-deps --only-binary=:all: --progress-bar off --dest "$WHEELS" \
  --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --python-version 3.11 --implementation cp --abi cp311 "${specs[@]}" >"$pip_log" 2>&1 ||
  { tail -n 20 "$pip_log" >&2; die "pip could not download ${specs[*]} (is PyPI reachable?)"; }
mapfile -t files < <(sed -n -E 's/^ *(Saved|File was already downloaded) (.*\.whl)$/\2/p' "$pip_log" |
  while IFS= read -r f; do realpath "$WHEELS/$(basename "$f")"; done | sort -u)
[ "${#files[@]}" = "${#specs[@]}" ] || die "expected ${#specs[@]} wheels, pip resolved ${#files[@]}"

log "unpacking shared libraries into $DEST"
rm -rf "$DEST"
mkdir -p "$DEST/lib"
python3 - "$DEST" "${files[@]}" <<'PY'
import os, sys, zipfile
dest, wheels = sys.argv[1], sys.argv[2:]
for w in wheels:
    with zipfile.ZipFile(w) as z:
        for info in z.infolist():
            n = info.filename
            # Shared libraries and tools (ptxas, libdevice for XLA); no headers or static libraries.
            if not n.startswith('nvidia/') or '/include/' in n or n.endswith(('.a', '.h', '.hpp')) or n.endswith('/'):
                continue
            path = z.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(path, mode)
PY
# One folder for LD_LIBRARY_PATH: relative links to every shared library of every wheel.
n=0
while IFS= read -r so; do
  base=$(basename "$so")
  [ -e "$DEST/lib/$base" ] && die "two wheels ship $base: $(readlink "$DEST/lib/$base") and $so"
  ln -s "$(realpath --relative-to="$DEST/lib" "$so")" "$DEST/lib/$base"
  n=$((n + 1))
done < <(find "$DEST/nvidia" -type f -name 'lib*.so*' | sort)
[ "$n" -gt 0 ] || die "no shared libraries found in the NVIDIA wheels"
# And each library under its SONAME where the file is named otherwise (libnvvm.so is libnvvm.so.4),
# as ldconfig would: the dynamic loader looks for the SONAME.
for so in "$DEST/lib"/*; do
  soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  if [ -n "$soname" ] && [ ! -e "$DEST/lib/$soname" ]; then ln -s "$(basename "$so")" "$DEST/lib/$soname"; fi
done
for f in "${files[@]}"; do basename "$f"; done > "$DEST/WHEELS"
printf '%s' "$STAMP" > "$DEST/.complete"
log "done: $n libraries from ${#files[@]} wheels ($(du -sh "$DEST" | cut -f1) unpacked); set LD_LIBRARY_PATH=$DEST/lib"
echo "$DEST/lib"
