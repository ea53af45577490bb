#!/usr/bin/env bash
# Checks the GPU build route of README.md / docs/gpu-build.md as far as a machine WITHOUT a GPU allows:
#
#   1. a throwaway copy of this checkout (never this checkout's node_modules);
#   2. there, the README's commands: npm install --no-save --ignore-scripts @tensorflow/tfjs-node-gpu@4.22.0
#      && BGBIAS_TF_WHEEL=tensorflow bash scripts/setup-tensorflow.sh (tfjs-node-gpu's addon built against
#      TensorFlow's CUDA-enabled `tensorflow` wheel);
#   3. the addon's DT_NEEDED libraries (readelf -d, ldd);
#   4. the CUDA 12 / cuDNN 9 libraries from NVIDIA's PyPI wheels at the versions TensorFlow's METADATA
#      names (scripts/setup-cuda-wheels.sh), and with them on LD_LIBRARY_PATH:
#      - which libraries TensorFlow dlopen()s, asked from TensorFlow's own loader (scripts/gpu-check/
#        dlopen-probe.cc calls its exported DsoLoader functions and TryDlopenCUDALibraries, the
#        all-or-nothing check TF makes before creating GPU devices);
#      - ldd over every library of those wheels (their own DT_NEEDED), and the libraries they dlopen
#        themselves (cuDNN's sub-libraries, NVRTC) opened through ctypes; cuDNN's version against the
#        one TensorFlow was compiled with (TF refuses a lower minor version);
#   5. the addon LOADED in Node with those libraries on LD_LIBRARY_PATH, and a real training step on
#      TensorFlow's CPU fallback (scripts/gpu-check/train-step.ts: small CNN, contrastive loss,
#      TorchRMSprop), compared with tfjs's pure-JS cpu backend, and timed against this checkout's
#      CPU build (tensorflow-cpu wheel).
# It prints a PASS/FAIL summary and exits 1 on any FAIL. What it cannot check without a GPU (kernel
# launches, cuDNN algorithm choice, memory growth, multi-GPU placement): docs/gpu-build.md.
#
# Downloads ~2.5 GB once (TensorFlow's GPU wheel 572 MB, NVIDIA wheels 1.9 GB), cached under .tools/;
# ~4.5 GB on disk unpacked. Too large for CI: run it by hand. A rerun with the caches takes minutes.
#
# Usage: bash scripts/check-gpu-build.sh [--keep] [--workdir DIR] [--cuda-versions min|latest] [--cuda-lib-dir DIR]
#   --keep            keep the throwaway copy (default: removed at the end)
#   --workdir DIR     where to make it (default: a new folder under ${TMPDIR:-/tmp})
#   --cuda-versions   min (default): NVIDIA wheels at TensorFlow's lower bounds (its build versions);
#                     latest: the newest inside TensorFlow's ranges (what pip installs today)
#   --cuda-lib-dir    check the CUDA libraries in DIR (e.g. a system CUDA + cuDNN, or a folder of links)
#                     instead of NVIDIA's wheels
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TF_VERSION=${BGBIAS_TF_WHEEL_VERSION:-2.21.0}
TFJS_NODE_GPU=@tensorflow/tfjs-node-gpu@4.22.0

KEEP=0
WORK=
CUDA_VERSIONS=min
CUDA_LIB_DIR=
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1; shift ;;
    --workdir) WORK=${2:-}; shift 2 ;;
    --cuda-versions) CUDA_VERSIONS=${2:-}; shift 2 ;;
    --cuda-lib-dir) CUDA_LIB_DIR=${2:-}; shift 2 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

log() { echo "[check-gpu-build] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
RESULTS=()
FAILED=0
# result PASS|FAIL|INFO name detail
result() {
  RESULTS+=("$(printf '%-4s  %-34s %s' "$1" "$2" "$3")")
  [ "$1" = FAIL ] && FAILED=1
  log "$1 $2: $3"
}
T0=$SECONDS
step_start() { STEP_T=$SECONDS; log "== $*"; }
step_secs() { echo $((SECONDS - STEP_T)); }
mib() { du -sm --apparent-size "$@" 2>/dev/null | awk '{s+=$1} END {print s+0}'; }

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "Linux x86-64 only (TensorFlow's GPU wheel)"
for tool in node npm python3 g++ readelf ldd strings git; do
  command -v "$tool" >/dev/null || die "$tool not found on PATH"
done
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  log "note: this machine has an NVIDIA GPU ($(nvidia-smi -L | head -n1)); the checks still use only what works without one"
fi

mkdir -p "$ROOT/.tools"
if [ -z "$WORK" ]; then WORK=$(mktemp -d "${TMPDIR:-/tmp}/bgbias-gpu-check.XXXXXX"); fi
mkdir -p "$WORK"
WORK=$(realpath "$WORK")
cleanup() { if [ $KEEP = 0 ]; then rm -rf "$WORK"; else log "kept $WORK"; fi; }
trap cleanup EXIT
COPY=$WORK/repo
OUT=$WORK/out
mkdir -p "$OUT"

# --- 1. throwaway copy ----------------------------------------------------------------------------
step_start "throwaway copy of this checkout in $COPY"
rm -rf "$COPY"
mkdir -p "$COPY"
git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
  tar -C "$ROOT" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$COPY" -xf - ||
  die "could not copy the checkout's files"
# The shared caches (TensorFlow wheel, NVIDIA wheels) are the checkout's .tools; the copy writes
# only new folders there.
ln -s "$(realpath "$ROOT/.tools")" "$COPY/.tools"
# node_modules: hard links where possible (npm replaces files, it does not edit them in place), else
# a fresh npm ci. npm rewrites node_modules/.package-lock.json in place, so that one is a real copy.
if [ -d "$ROOT/node_modules" ] && cp -al "$ROOT/node_modules" "$COPY/node_modules" 2>/dev/null; then
  rm -f "$COPY/node_modules/.package-lock.json" "$COPY/node_modules/.bgbias-lock-sha256"
  [ -f "$ROOT/node_modules/.package-lock.json" ] && cp "$ROOT/node_modules/.package-lock.json" "$COPY/node_modules/"
  how="node_modules hard-linked from the checkout"
else
  rm -rf "$COPY/node_modules"
  (cd "$COPY" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund >"$OUT/npm-ci.log" 2>&1) ||
    die "npm ci failed in the copy (log: $OUT/npm-ci.log)"
  how="npm ci"
fi
rm -rf "$COPY/node_modules/@tensorflow/tfjs-node-gpu"
result INFO "copy" "$COPY ($how, $(step_secs) s)"

# --- 2. the README's GPU build commands -------------------------------------------------------------
step_start "README route: npm install $TFJS_NODE_GPU, then BGBIAS_TF_WHEEL=tensorflow scripts/setup-tensorflow.sh"
(cd "$COPY" && npm install --no-save --ignore-scripts --no-audit --no-fund "$TFJS_NODE_GPU") >"$OUT/npm-install.log" 2>&1
npm_rc=$?
npm_secs=$(step_secs)
STEP_T=$SECONDS
(cd "$COPY" && BGBIAS_TF_WHEEL=tensorflow BGBIAS_TF_WHEEL_VERSION=$TF_VERSION bash scripts/setup-tensorflow.sh) >"$OUT/setup-tensorflow.log" 2>&1
setup_rc=$?
setup_secs=$(step_secs)
PKG=$COPY/node_modules/@tensorflow/tfjs-node-gpu
ADDON=$(find "$PKG/lib" -name tfjs_binding.node 2>/dev/null | head -n1)
if [ $npm_rc = 0 ] && [ $setup_rc = 0 ] && [ -n "$ADDON" ]; then
  result PASS "build tfjs-node-gpu addon" "npm install ${npm_secs} s, setup-tensorflow ${setup_secs} s: $(tail -n1 "$OUT/setup-tensorflow.log" | sed 's/^\[setup-tensorflow\] //')"
else
  tail -n 30 "$OUT/npm-install.log" "$OUT/setup-tensorflow.log" >&2
  result FAIL "build tfjs-node-gpu addon" "npm install exit $npm_rc, setup-tensorflow exit $setup_rc (logs above)"
fi
WHEEL=$(find "$ROOT/.tools/tensorflow/wheels" -maxdepth 1 -name "tensorflow-${TF_VERSION}-*manylinux*x86_64.whl" | head -n1)
TF_DIR=$(find "$ROOT/.tools/tensorflow" -maxdepth 2 -type d -path "*/tensorflow-${TF_VERSION}-*/tensorflow" | head -n1)
[ -n "$WHEEL" ] && [ -n "$TF_DIR" ] || { result FAIL "GPU wheel" "tensorflow==$TF_VERSION not found under .tools/tensorflow"; }

# --- 3. DT_NEEDED of the addon and TensorFlow's libraries -------------------------------------------
if [ -n "$ADDON" ] && [ -n "$TF_DIR" ]; then
  for f in "$ADDON" "$TF_DIR/libtensorflow_cc.so.2" "$TF_DIR/libtensorflow_framework.so.2"; do
    needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    result INFO "DT_NEEDED $(basename "$f")" "$needed"
  done
  missing=$(ldd "$ADDON" | grep 'not found' || true)
  cuda_needed=$(for f in "$ADDON" "$TF_DIR"/libtensorflow_*.so.2; do readelf -d "$f"; done | grep NEEDED | grep -ciE 'cu|nv|nccl' || true)
  if [ -z "$missing" ]; then
    result PASS "ldd tfjs_binding.node" "every DT_NEEDED library resolves; $cuda_needed of them are CUDA libraries (CUDA is dlopen()ed)"
  else
    result FAIL "ldd tfjs_binding.node" "$(echo "$missing" | tr -s ' \n' ' ')"
  fi
fi

# --- 4. CUDA libraries ----------------------------------------------------------------------------------
if [ -n "$WHEEL" ]; then
  step_start "what TensorFlow $TF_VERSION was built against (the wheel's own headers and build_info)"
  python3 - "$WHEEL" >"$OUT/build-config.txt" <<'PY'
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
def read(suffix):
    name = next((n for n in z.namelist() if n.endswith(suffix)), None)
    return z.read(name).decode() if name else ''
cfg = dict(re.findall(r'#define (TF_\w+_VERSION) "([^"]*)"', read('local_config_cuda/cuda/cuda/cuda_config.h')))
cudnn = read('external/cuda_cudnn/include/cudnn_version_v9.h') or read('cudnn/include/cudnn_version.h')
cv = [re.search(rf'#define CUDNN_{k} (\d+)', cudnn) for k in ('MAJOR', 'MINOR', 'PATCHLEVEL')]
nccl = read('external/cuda_nccl/include/nccl.h')
nv = [re.search(rf'#define NCCL_{k} (\d+)', nccl) for k in ('MAJOR', 'MINOR', 'PATCH')]
info = read('tensorflow/python/platform/build_info.py')
caps = re.search(r"'cuda_compute_capabilities', \[([^\]]*)\]", info)
print('cuda', cfg.get('TF_CUDA_VERSION', '?'))
print('cudnn', '.'.join(m.group(1) for m in cv) if all(cv) else '?')
print('nccl', '.'.join(m.group(1) for m in nv) if all(nv) else '?')
print('sonames', ' '.join(f"{k[3:-8].lower()}={v}" for k, v in cfg.items() if k != 'TF_CUDA_VERSION'))
print('capabilities', caps.group(1).replace("'", '').replace(' ', '') if caps else '?')
PY
  CUDNN_BUILT=$(sed -n 's/^cudnn //p' "$OUT/build-config.txt")
  result INFO "built against" "CUDA $(sed -n 's/^cuda //p' "$OUT/build-config.txt"), cuDNN $CUDNN_BUILT, NCCL $(sed -n 's/^nccl //p' "$OUT/build-config.txt"); GPU code for $(sed -n 's/^capabilities //p' "$OUT/build-config.txt")"
  result INFO "library versions (cuda_config.h)" "$(sed -n 's/^sonames //p' "$OUT/build-config.txt")"

  CUDA_DEST=
  if [ -n "$CUDA_LIB_DIR" ]; then
    [ -d "$CUDA_LIB_DIR" ] || die "--cuda-lib-dir $CUDA_LIB_DIR: no such folder"
    LIBDIR=$(realpath "$CUDA_LIB_DIR")
    result INFO "CUDA libraries" "$LIBDIR (--cuda-lib-dir: NVIDIA's wheels not used)"
  else
    step_start "NVIDIA wheels of the extra and-cuda (scripts/setup-cuda-wheels.sh --versions $CUDA_VERSIONS)"
    LIBDIR=$(cd "$COPY" && BGBIAS_TF_WHEEL_VERSION=$TF_VERSION BGBIAS_TF_WHEEL_FILE=$WHEEL bash scripts/setup-cuda-wheels.sh --versions "$CUDA_VERSIONS" 2>"$OUT/setup-cuda-wheels.log" | tail -n1)
    if [ -n "$LIBDIR" ] && [ -d "$LIBDIR" ]; then
      LIBDIR=$(realpath "$LIBDIR")
      CUDA_DEST=$(dirname "$LIBDIR")
      result PASS "NVIDIA wheels downloaded" "$(wc -l <"$CUDA_DEST/WHEELS") wheels ($(sed -E 's/^nvidia_([a-z_]+)_cu12-([^-]+)-.*/\1 \2/' "$CUDA_DEST/WHEELS" | tr '\n' ',' | sed 's/,$//; s/,/, /g')), $(step_secs) s"
    else
      cat "$OUT/setup-cuda-wheels.log" >&2
      result FAIL "NVIDIA wheels downloaded" "scripts/setup-cuda-wheels.sh failed (log above)"
      LIBDIR=
    fi
  fi
fi

if [ -n "${LIBDIR:-}" ] && [ -n "$TF_DIR" ]; then
  step_start "TensorFlow's own loader (scripts/gpu-check/dlopen-probe.cc)"
  PROBE=$WORK/probe
  mkdir -p "$PROBE"
  python3 - "$WHEEL" "$PROBE/include" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        if info.filename.startswith('tensorflow/include/absl/'):
            info.filename = info.filename[len('tensorflow/include/'):]
            z.extract(info, sys.argv[2])
PY
  if g++ -std=c++17 -O0 -I "$PROBE/include" "$ROOT/scripts/gpu-check/dlopen-probe.cc" -o "$PROBE/dlopen-probe" \
    -L "$TF_DIR" -l:libtensorflow_cc.so.2 -l:libtensorflow_framework.so.2 -Wl,-rpath,"$TF_DIR" 2>"$OUT/probe-build.log"; then
    # Without any CUDA library: what TensorFlow asks for (the sonames in its messages).
    env -u LD_LIBRARY_PATH "$PROBE/dlopen-probe" >"$OUT/probe-bare.tsv" 2>/dev/null
    asked=$(sed -n "s/.*Could not load dynamic library '\([^']*\)'.*/\1/p" "$OUT/probe-bare.tsv" | tr '\n' ' ')
    # With the wheels' libraries.
    LD_LIBRARY_PATH=$LIBDIR "$PROBE/dlopen-probe" >"$OUT/probe-wheels.tsv" 2>/dev/null
    loaded=$(awk -F'\t' '$2=="ok" && $3 ~ /^\// {n=split($3,p,"/"); printf "%s ", p[n]}' "$OUT/probe-wheels.tsv")
    result INFO "dlopen() sonames TensorFlow asks for" "$asked"
    result INFO "opened (LD_LIBRARY_PATH)" "$loaded"
    required="cudart cublas cublasLt cufft cusolver cusparse cupti cudnn nccl"
    bad=""
    for lib in $required; do
      grep -qP "^$lib\tok\t" "$OUT/probe-wheels.tsv" || bad="$bad $lib"
    done
    try=$(grep -P '^TryDlopenCUDALibraries\t' "$OUT/probe-wheels.tsv" | cut -f2)
    if [ -z "$bad" ] && [ "$try" = ok ]; then
      result PASS "TensorFlow finds CUDA libraries" "all of: $required; TryDlopenCUDALibraries ok (LD_LIBRARY_PATH=$LIBDIR)"
    else
      result FAIL "TensorFlow finds CUDA libraries" "missing:${bad:- none}; TryDlopenCUDALibraries $try (see $OUT/probe-wheels.tsv)"
    fi
    for lib in cuda-driver nvml nvshmem nvjitlink; do
      line=$(grep -P "^$lib\t" "$OUT/probe-wheels.tsv" | cut -f2,3 | cut -c1-110)
      case $lib in
        cuda-driver | nvml) why="the NVIDIA driver provides it (no driver here)" ;;
        nvshmem) why="optional: XLA's NVSHMEM collectives only; not in and-cuda" ;;
        nvjitlink) why="TensorFlow's own use of nvJitLink is compiled out; cuSPARSE/cuSOLVER/cuFFT still need the library (ldd below)" ;;
      esac
      result INFO "$lib" "${line//$'\t'/: } -- $why"
    done
    # The wheel's RUNPATH ($ORIGIN/../nvidia/<pkg>/lib, as in a Python site-packages): enough alone?
    [ -n "${CUDA_DEST:-}" ] && {
    RP=$WORK/runpath
    mkdir -p "$RP/lib"
    ln -sfn "$CUDA_DEST/nvidia" "$RP/nvidia"
    ln -sf "$TF_DIR/libtensorflow_cc.so.2" "$TF_DIR/libtensorflow_framework.so.2" "$RP/lib/"
    LD_LIBRARY_PATH=$RP/lib "$PROBE/dlopen-probe" >"$OUT/probe-runpath.tsv" 2>/dev/null
    rp_missing=$(for lib in $required; do grep -qP "^$lib\tok\t" "$OUT/probe-runpath.tsv" || printf '%s ' "$lib"; done)
    rp_try=$(grep -P '^TryDlopenCUDALibraries\t' "$OUT/probe-runpath.tsv" | cut -f2)
    if [ -n "$rp_missing" ]; then rp="not found: $rp_missing"; else rp="every library found"; fi
    result INFO "RUNPATH alone (no LD_LIBRARY_PATH)" "$rp; TryDlopenCUDALibraries $rp_try"
    }
  else
    cat "$OUT/probe-build.log" >&2
    result FAIL "TensorFlow finds CUDA libraries" "the probe did not compile (log above)"
  fi

  step_start "ldd over every library of the NVIDIA wheels"
  nlib=0
  notfound=""
  fromdriver=""
  for so in "$LIBDIR"/*.so*; do
    nlib=$((nlib + 1))
    for nf in $(LD_LIBRARY_PATH=$LIBDIR ldd "$so" 2>&1 | grep 'not found' | awk '{print $1}'); do
      # The driver's libraries are on every GPU machine (and nowhere here); anything else must be in the wheels.
      case $nf in
        libcuda.so.1 | libnvidia-ml.so.1) fromdriver="$fromdriver $(basename "$so")->$nf" ;;
        *) notfound="$notfound $(basename "$so"): $nf;" ;;
      esac
    done
  done
  if [ -z "$notfound" ]; then
    result PASS "ldd NVIDIA libraries" "$nlib libraries, every DT_NEEDED resolves (system: only glibc, libstdc++, libgcc_s, libz)${fromdriver:+; from the NVIDIA driver:$fromdriver}"
  else
    result FAIL "ldd NVIDIA libraries" "not found:$notfound"
  fi
  # Versioned CUDA sonames that the libraries name in their strings (what they dlopen themselves).
  named=$(for so in "$LIBDIR"/*.so*; do strings -n 6 "$so" | grep -oE '^lib(cu|nv|nccl)[A-Za-z_0-9-]*\.so\.[0-9]+$'; done | sort -u)
  absent=""
  driver=""
  for n in $named; do
    [ -e "$LIBDIR/$n" ] && continue
    case $n in
      libcuda.so.1 | libnvidia-* | libnvoptix.so.*) driver="$driver $n" ;;
      *) absent="$absent $n" ;;
    esac
  done
  if [ -z "$absent" ]; then
    result PASS "sonames named inside the libraries" "$(echo "$named" | wc -w) CUDA sonames, all in the wheels except the driver's:$driver"
  else
    result FAIL "sonames named inside the libraries" "not in the wheels:$absent"
  fi

  step_start "cuDNN's sub-libraries and NVRTC, opened through their own loaders"
  LD_LIBRARY_PATH=$LIBDIR python3 - "$CUDNN_BUILT" >"$OUT/cudnn.txt" 2>&1 <<'PY'
import ctypes, sys
built = [int(p) for p in sys.argv[1].split('.')]
cudnn = ctypes.CDLL('libcudnn.so.9')
v = cudnn.cudnnGetVersion()
loaded = [v // 10000, (v % 10000) // 100, v % 100]
# Each *VersionCheck opens that sub-library (libcudnn_ops/cnn/adv.so.9, with libcudnn_graph.so.9).
checks = {k: getattr(cudnn, f'cudnn{k}VersionCheck')() for k in ('Ops', 'Cnn', 'Adv')}
major, minor = ctypes.c_int(), ctypes.c_int()
nvrtc = ctypes.CDLL('libnvrtc.so.12')
nvrtc.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
ok_version = loaded[0] == built[0] and loaded[1] >= built[1]
print(f"cuDNN {'.'.join(map(str, loaded))} (TensorFlow built with {sys.argv[1]}: {'accepted' if ok_version else 'REFUSED'}); "
      f"sub-library checks {checks}; NVRTC {major.value}.{minor.value}")
sys.exit(0 if ok_version and all(c == 0 for c in checks.values()) else 1)
PY
  if [ $? = 0 ]; then
    result PASS "cuDNN / NVRTC load" "$(cat "$OUT/cudnn.txt")"
  else
    result FAIL "cuDNN / NVRTC load" "$(tail -n 3 "$OUT/cudnn.txt" | tr '\n' ' ')"
  fi
fi

# --- 5. load the addon and train on TensorFlow's CPU fallback ------------------------------------------------
if [ -n "$ADDON" ]; then
  step_start "load tfjs-node-gpu in Node and train (CPU fallback), LD_LIBRARY_PATH=${LIBDIR:-unset}"
  run_step() { # dir mode label
    (cd "$1" && LD_LIBRARY_PATH=${LIBDIR:-} TF_CPP_MIN_LOG_LEVEL=0 node --import tsx scripts/gpu-check/train-step.ts --mode "$2" \
      ${4:+--expect-package "$4"}) >"$OUT/train-$3.json" 2>"$OUT/train-$3.log"
  }
  if run_step "$COPY" compare gpu-compare @tensorflow/tfjs-node-gpu; then
    j=$OUT/train-gpu-compare.json
    summary=$(node -e "const r=JSON.parse(require('fs').readFileSync('$j','utf8').trim().split('\n').pop());
      console.log(r.package+' (TensorFlow '+r.tensorflow+'), device '+r.device+'; losses '+r.nativeLosses.map(l=>l.toFixed(5)).join(' -> ')+
      '; vs tfjs cpu backend: losses '+r.lossRelDiff.toExponential(1)+', gradients '+r.gradRelDiff.toExponential(1)+' max rel. diff')")
    device=$(node -p "JSON.parse(require('fs').readFileSync('$j','utf8').trim().split('\n').pop()).device")
    if [ "$device" = cpu ]; then
      result PASS "load + training step (CPU fallback)" "$summary"
    else
      result FAIL "load + training step (CPU fallback)" "device $device on a machine without GPU: $summary"
    fi
  else
    tail -n 15 "$OUT/train-gpu-compare.log" >&2
    result FAIL "load + training step (CPU fallback)" "$(tail -n1 "$OUT/train-gpu-compare.log")"
  fi
  # TensorFlow's log lines about the missing driver, without the glog prefix.
  fallback=$(grep -hE 'failed call to cuInit|Could not find cuda drivers' "$OUT/train-gpu-compare.log" |
    sed -E 's/^[IWE][0-9]+ [0-9:.]+ +[0-9]+ //' | sort -u | head -n2 | tr '\n' ' ')
  result INFO "TensorFlow's words on the fallback" "${fallback:-none logged}"
  # Speed of the same step on the GPU build's CPU kernels vs this checkout's CPU build (tensorflow-cpu
  # wheel), alternating twice, best of each: the machine may be shared.
  timed=1
  for round in 1 2; do
    run_step "$COPY" time "gpu-time-$round" @tensorflow/tfjs-node-gpu || timed=0
    (LIBDIR='' run_step "$ROOT" time "cpu-time-$round" @tensorflow/tfjs-node) || timed=0
  done
  if [ $timed = 1 ]; then
    result INFO "small CNN step, batch 32 (CPU)" "$(node -e "
      const f=n=>JSON.parse(require('fs').readFileSync('$OUT/train-'+n+'.json','utf8').trim().split('\n').pop());
      const best=k=>[1,2].map(r=>f(k+'-time-'+r)).sort((a,b)=>a.msPerStep-b.msPerStep)[0];
      const g=best('gpu'), c=best('cpu');
      console.log('GPU wheel '+g.msPerStep.toFixed(0)+' ms ('+g.imagesPerSecond.toFixed(0)+' img/s, peak RSS '+g.peakRssMiB.toFixed(0)+' MiB); '+
        'tensorflow-cpu wheel '+c.msPerStep.toFixed(0)+' ms ('+c.imagesPerSecond.toFixed(0)+' img/s, '+c.peakRssMiB.toFixed(0)+' MiB); '+
        'cpu/gpu-wheel time '+(c.msPerStep/g.msPerStep).toFixed(2)+' (best of 2 alternating, '+g.threads+' threads, load average '+require('os').loadavg()[0].toFixed(1)+')')")"
  else
    result INFO "small CNN step, batch 32 (CPU)" "not timed: $(tail -qn1 "$OUT"/train-*-time-*.log 2>/dev/null | tr '\n' ' ')"
  fi
fi

# --- sizes, summary ---------------------------------------------------------------------------------
if [ -n "${WHEEL:-}" ]; then
  sizes="TensorFlow GPU wheel $(mib "$WHEEL") MiB (libraries $(mib "$TF_DIR"/libtensorflow_*.so.2) MiB unpacked)"
  [ -n "${CUDA_DEST:-}" ] && sizes="$sizes; NVIDIA wheels $(mib $(sed "s#^#$ROOT/.tools/cuda/wheels/#" "$CUDA_DEST/WHEELS")) MiB ($(mib "$CUDA_DEST/nvidia") MiB unpacked)"
  result INFO "sizes" "$sizes"
fi
result INFO "total time" "$((SECONDS - T0)) s on $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg))"

echo
echo "GPU build check, TensorFlow $TF_VERSION + $TFJS_NODE_GPU, NVIDIA wheels: $CUDA_VERSIONS versions ($(date -u +%Y-%m-%dT%H:%MZ), $(uname -n))"
printf '%s\n' "${RESULTS[@]}"
echo "Not checkable without a GPU: kernel launches, cuDNN algorithm selection, memory growth, multi-GPU placement (docs/gpu-build.md)."
if [ $FAILED = 0 ]; then
  echo "RESULT: PASS"
else
  echo "RESULT: FAIL"
  KEEP=1
  exit 1
fi
