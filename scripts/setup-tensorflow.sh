#!/usr/bin/env bash
# Gives @tensorflow/tfjs-node a native TensorFlow without Google's download server.
#
# Why: tfjs-node's install script downloads libtensorflow 2.9.1 from storage.googleapis.com, which
# this project's machines cannot reach. TensorFlow's own PyPI wheel (tensorflow-cpu) ships the same
# C and eager C APIs (TF_*, TFE_*) in libtensorflow_cc.so.2 + libtensorflow_framework.so.2, with the
# headers, and PyPI is reachable. So we take the libraries and headers out of the wheel, lay them out
# where tfjs-node's binding.gyp looks (deps/include, deps/lib), and compile the addon with node-gyp.
#
# Idempotent: when the addon is built and loads, it only re-checks (about 2 s).
# Usage: bash scripts/setup-tensorflow.sh [--force]
# Environment:
#   BGBIAS_TF_WHEEL          wheel project on PyPI (default tensorflow-cpu; see docs/native-tensorflow.md for GPU)
#   BGBIAS_TF_WHEEL_VERSION  its version (default 2.21.0)
#   BGBIAS_TF_WHEEL_FILE     use this already-downloaded wheel instead of asking PyPI
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

WHEEL_PROJECT=${BGBIAS_TF_WHEEL:-tensorflow-cpu}
WHEEL_VERSION=${BGBIAS_TF_WHEEL_VERSION:-2.21.0}
TFJS_NODE_PKG=@tensorflow/tfjs-node
[ "$WHEEL_PROJECT" = tensorflow ] && TFJS_NODE_PKG=@tensorflow/tfjs-node-gpu
FORCE=0
[ "${1:-}" = --force ] && FORCE=1

log() { echo "[setup-tensorflow] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
  die "only Linux x86-64 is handled here (got $(uname -s)-$(uname -m)); elsewhere use tfjs-node's own install"
command -v node >/dev/null || die "node not found on PATH"
command -v g++ >/dev/null || die "g++ not found: node-gyp needs a C++ compiler (apt-get install g++ make)"

# --- 1. the tfjs-node package itself -------------------------------------------------------------
# npm installs optional dependencies but runs their install scripts; tfjs-node's script fails offline
# and npm then drops the package again. So when it is missing we install it without its scripts, at
# the version package.json pins, and do its build step ourselves below.
PKG_DIR=$ROOT/node_modules/$TFJS_NODE_PKG
want_version=$(node -p "const p=require('./package.json'); (p.optionalDependencies||{})['$TFJS_NODE_PKG'] || (p.dependencies||{})['$TFJS_NODE_PKG'] || require('@tensorflow/tfjs/package.json').version")
if [ ! -f "$PKG_DIR/package.json" ]; then
  log "installing $TFJS_NODE_PKG@$want_version without its install script"
  (flock /tmp/npm.lock npm install --no-save --ignore-scripts --no-audit --no-fund \
     "$TFJS_NODE_PKG@$want_version" >&2) || die "npm could not install $TFJS_NODE_PKG@$want_version"
fi

check_backend() {
  # One process that loads the addon and asks tfjs which backend it runs on.
  node -e "
    const tf = require('$TFJS_NODE_PKG');
    const b = tf.getBackend();
    if (b !== 'tensorflow') { console.error('backend is ' + b + ', expected tensorflow'); process.exit(1); }
    const s = tf.tidy(() => tf.conv2d(tf.ones([1, 4, 4, 1]), tf.ones([3, 3, 1, 1]), 1, 'valid').sum().dataSync()[0]);
    if (s !== 36) { console.error('conv2d check gave ' + s + ', expected 36'); process.exit(1); }
    console.log('tfjs ' + tf.version.tfjs + ' on backend ' + b + ', native TensorFlow ' + tf.backend().binding.TF_Version);
  " 2>"$CHECK_ERR"
}
CHECK_ERR=$(mktemp)
trap 'rm -f "$CHECK_ERR"' EXIT

if [ $FORCE = 0 ] && out=$(check_backend); then
  log "already set up: $out"
  exit 0
fi

# --- 2. the wheel ---------------------------------------------------------------------------------
CACHE=$ROOT/.tools/tensorflow
WHEEL_DIR=$CACHE/wheels
mkdir -p "$WHEEL_DIR"
wheel=${BGBIAS_TF_WHEEL_FILE:-}
if [ -z "$wheel" ]; then
  pattern="${WHEEL_PROJECT//-/_}-${WHEEL_VERSION}-*manylinux*x86_64.whl"
  wheel=$(find "$WHEEL_DIR" -maxdepth 1 -name "$pattern" | head -n1)
  if [ -z "$wheel" ]; then
    PY=$(command -v python3 || true)
    [ -n "$PY" ] || die "python3 (with pip) is needed to download $WHEEL_PROJECT==$WHEEL_VERSION from PyPI"
    log "downloading $WHEEL_PROJECT==$WHEEL_VERSION from PyPI (about 270 MB, once; cached in .tools/)"
    # --platform/--python-version make the choice independent of the local Python: we only use the
    # wheel's shared libraries, which do not depend on the Python version tag.
    "$PY" -m pip download --quiet --no-deps --only-binary=:all: --dest "$WHEEL_DIR" \
      --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      --python-version 3.11 --implementation cp --abi cp311 \
      "$WHEEL_PROJECT==$WHEEL_VERSION" >&2 ||
      die "pip could not download $WHEEL_PROJECT==$WHEEL_VERSION (is PyPI reachable? set BGBIAS_TF_WHEEL_FILE to a local wheel)"
    wheel=$(find "$WHEEL_DIR" -maxdepth 1 -name "$pattern" | head -n1)
    [ -n "$wheel" ] || die "pip finished but no file matching $pattern is in $WHEEL_DIR"
  fi
fi
[ -f "$wheel" ] || die "wheel not found: $wheel"

# --- 3. unpack what the binding needs (libraries + C API headers) ----------------------------------
UNPACK=$CACHE/$(basename "$wheel" .whl)
if [ ! -f "$UNPACK/.complete" ]; then
  log "unpacking libraries and C headers from $(basename "$wheel")"
  rm -rf "$UNPACK"
  python3 - "$wheel" "$UNPACK" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
# Headers reachable from tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h (tstring lives in tsl now).
want_prefixes = (
    'tensorflow/include/tensorflow/c/',
    'tensorflow/include/tensorflow/core/platform/ctstring',
    'tensorflow/include/tsl/platform/ctstring',
    'tensorflow/include/xla/tsl/c/',
    'tensorflow/include/tensorflow/tsl/platform/ctstring',
)
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
found = set()
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        n = info.filename
        if n in libs or (n.startswith(want_prefixes) and n.endswith('.h')):
            z.extract(info, dest)
            found.add(n)
missing = libs - found
if missing:
    sys.exit(f'{wheel} lacks {sorted(missing)}: this wheel version cannot serve tfjs-node')
PY
  touch "$UNPACK/.complete"
fi
TF_DIR=$UNPACK/tensorflow
for h in tensorflow/c/c_api.h tensorflow/c/eager/c_api.h tensorflow/c/tf_tstring.h; do
  [ -f "$TF_DIR/include/$h" ] || die "$(basename "$wheel") has no header $h"
done

# --- 4. lay out deps/ as binding.gyp and install.js expect -----------------------------------------
# binding.gyp: include_dirs deps/include, links -ltensorflow -ltensorflow_framework from deps/lib,
# rpath $ORIGIN/../../deps/lib. install.js: skips its download when deps/lib/libtensorflow.so.2.9.1
# exists. The linker records the sonames (libtensorflow_cc.so.2, libtensorflow_framework.so.2), so
# those names must be present in deps/lib at run time. Relative links keep the tree movable.
DEPS=$PKG_DIR/deps
rm -rf "$DEPS"
mkdir -p "$DEPS/lib"
rel() { realpath --relative-to="$1" "$2"; }
ln -s "$(rel "$DEPS" "$TF_DIR/include")" "$DEPS/include"
ln -s "$(rel "$DEPS/lib" "$TF_DIR/libtensorflow_cc.so.2")" "$DEPS/lib/libtensorflow_cc.so.2"
ln -s "$(rel "$DEPS/lib" "$TF_DIR/libtensorflow_framework.so.2")" "$DEPS/lib/libtensorflow_framework.so.2"
ln -s libtensorflow_cc.so.2 "$DEPS/lib/libtensorflow.so"
ln -s libtensorflow_cc.so.2 "$DEPS/lib/libtensorflow.so.2"
ln -s libtensorflow_cc.so.2 "$DEPS/lib/libtensorflow.so.2.9.1"
ln -s libtensorflow_framework.so.2 "$DEPS/lib/libtensorflow_framework.so"
printf '%s\n' "$(basename "$wheel")" > "$DEPS/FROM_WHEEL"

# --- 5. compile the addon (node-gyp, offline: it uses the system Node headers) ----------------------
NODE_GYP=${npm_config_node_gyp:-}
if [ -z "$NODE_GYP" ]; then
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  NODE_GYP=$npm_dir/node_modules/node-gyp/bin/node-gyp.js
fi
[ -f "$NODE_GYP" ] || die "node-gyp not found at $NODE_GYP (set npm_config_node_gyp)"
nodedir=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
if [ -z "$nodedir" ] || [ "$nodedir" = undefined ] || [ "$nodedir" = null ]; then
  nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
fi
[ -f "$nodedir/include/node/node_api.h" ] ||
  die "Node headers not found under $nodedir/include/node (node-gyp would try to download them)"
# tfjs-node's loader (node-pre-gyp's find) picks lib/napi-v<N> with N the highest N-API version that
# both Node and the package's binary.napi_versions support; build exactly that one (node-pre-gyp's
# own rebuild would compile the same addon once per listed version).
napi=$(node -p "const v=require('$PKG_DIR/package.json').binary.napi_versions.filter(n=>n<=+process.versions.napi); v.length? Math.max(...v): ''")
[ -n "$napi" ] || die "this Node's N-API version $(node -p process.versions.napi) is below what $TFJS_NODE_PKG supports"
log "compiling the tfjs-node addon (N-API $napi) against $(basename "$wheel") (node-gyp, about 20 s)"
(cd "$PKG_DIR" && rm -rf lib build &&
  JOBS=${JOBS:-2} node "$NODE_GYP" rebuild --nodedir="$nodedir" \
    --module_name=tfjs_binding --module_path="$PKG_DIR/lib/napi-v$napi" --napi_build_version="$napi" \
    >"$DEPS/build.log" 2>&1) ||
  { tail -n 40 "$DEPS/build.log" >&2; die "addon build failed (full log: $DEPS/build.log)"; }
[ -f "$PKG_DIR/lib/napi-v$napi/tfjs_binding.node" ] || die "node-gyp finished but lib/napi-v$napi/tfjs_binding.node is missing"

if out=$(check_backend); then
  log "done: $out"
else
  cat "$CHECK_ERR" >&2
  die "the addon was built but tfjs-node does not load (see above)"
fi
