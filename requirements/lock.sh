#!/usr/bin/env bash
# Writes the lock, requirements/*.txt, from pyproject.toml (its only source): every package pinned
# to one version with the sha256 of each of its files on PyPI, resolved once for CPython 3.11 on any
# platform (uv pip compile --universal).
#   dev.txt      runtime + the dev extra + the build backend ([build-system] requires): the venv
#                that the tests and CI run in
#   runtime.txt  the runtime dependencies only, at dev.txt's versions (the image's and
#                .ci/smoke-wheel.sh's install): what ships is what was tested
#   build.txt    the build backend only, at dev.txt's versions (the image's build stage)
#   airflow.txt  requirements/airflow.in (apache-airflow[postgres], pinned there) resolved on its
#                own: the Airflow venv that the tests and the bench start (tests/airflow_deployment.py)
#
#   bash requirements/lock.sh                  re-resolve after editing pyproject.toml; every pin
#                                              that the new bounds still allow is kept
#   bash requirements/lock.sh -P fastapi       upgrade one package (and what it needs) within bounds
#   bash requirements/lock.sh --upgrade        upgrade everything within bounds
#   bash requirements/lock.sh --check          fail when the lock is out of date with pyproject.toml
#                                              (CI); writes nothing
#
# It runs the uv that dev.txt pins (.venv/bin/uv, or $UV), so the same uv writes and checks the
# files. Other arguments go to the dev.txt resolution (`uv pip compile --help`); airflow.txt keeps
# its pins until airflow.in changes (remove airflow.txt to re-resolve it from scratch).
set -euo pipefail
cd "$(dirname "$0")/.."

uv=${UV:-.venv/bin/uv}
[ -x "$uv" ] || uv=$(command -v uv) || {
  echo "lock.sh: no uv: install the dev lock first (see README.md, Dependencies)" >&2
  exit 2
}
uv=$(realpath "$uv")

check=""
if [ "${1:-}" = "--check" ]; then
  check=yes
  shift
fi

# The inputs: what pyproject.toml says about dependencies. Their digest goes into every file, so
# that any change to them (a bound loosened too) makes --check fail until the lock is rewritten.
inputs=$(python3 - <<'PY'
import hashlib, json, tomllib
with open("pyproject.toml", "rb") as f:
    pyproject = tomllib.load(f)
project = pyproject["project"]
inputs = {
    "requires-python": project.get("requires-python"),
    "dependencies": project.get("dependencies", []),
    "optional-dependencies": project.get("optional-dependencies", {}),
    "build-system": pyproject["build-system"]["requires"],
}
print(hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest())
print("\n".join(pyproject["build-system"]["requires"]))
PY
)
digest=$(head -n 1 <<<"$inputs")
build_requires=$(tail -n +2 <<<"$inputs")

# compile OUTPUT ARGS...: one resolution, run inside $root so that the files' annotations are the
# same wherever it runs. OUTPUT's current pins, when it exists, are kept where still allowed.
compile() {
  local out=$1
  shift
  (cd "$root" && "$uv" pip compile --quiet --universal --python-version 3.11 --generate-hashes \
    --custom-compile-command "bash requirements/lock.sh" --output-file "$out" "$@")
}

# mark OUTPUT LINE...: after the file's first two lines, what it was written from (with a digest).
mark() {
  local out=$1 at=2 line
  shift
  for line in "$@"; do
    sed -i "${at}a # $line" "$root/$out"
    at=$((at + 1))
  done
}

write_lock() {
  local pyproject_note=("from pyproject.toml's dependencies, dev extra and [build-system] requires (setuptools,"
    "wheel), whose sha256 is $digest")
  compile requirements/dev.txt pyproject.toml --extra dev - "$@" <<<"$build_requires"
  mark requirements/dev.txt "${pyproject_note[@]}"
  compile requirements/runtime.txt pyproject.toml -c requirements/dev.txt
  mark requirements/runtime.txt "${pyproject_note[@]}"
  compile requirements/build.txt - -c requirements/dev.txt <<<"$build_requires"
  mark requirements/build.txt "${pyproject_note[@]}"
  compile requirements/airflow.txt requirements/airflow.in
  mark requirements/airflow.txt "from requirements/airflow.in, whose sha256 is $(sha256sum <"$root/requirements/airflow.in" | cut -d' ' -f1)"
}

if [ -z "$check" ]; then
  root=.
  mkdir -p requirements
  write_lock "$@"
  echo "lock.sh: wrote requirements/dev.txt, runtime.txt, build.txt, airflow.txt"
  exit 0
fi

# --check: rewrite a copy (pins kept where allowed, so a new release on PyPI changes nothing) and
# compare. Only the hashes may differ: PyPI may have added files to a pinned release since.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir "$root/requirements"
cp pyproject.toml "$root/"
cp requirements/airflow.in "$root/requirements/"
for f in dev runtime build airflow; do
  [ -f "requirements/$f.txt" ] || { echo "lock.sh --check: requirements/$f.txt is missing" >&2; exit 1; }
  cp "requirements/$f.txt" "$root/requirements/"
done
write_lock "$@"
pins() { sed -E '/^ +--hash=/d; s/ \\$//' "$1"; }
stale=""
for f in dev runtime build airflow; do
  if ! diff -u --label "requirements/$f.txt" --label "requirements/$f.txt (from pyproject.toml)" \
    <(pins "requirements/$f.txt") <(pins "$root/requirements/$f.txt"); then
    stale=yes
  elif ! cmp -s "requirements/$f.txt" "$root/requirements/$f.txt"; then
    echo "lock.sh --check: requirements/$f.txt: same pins, PyPI lists other files (hashes) for some"
  fi
done
if [ -n "$stale" ]; then
  echo "lock.sh --check: FAIL: the lock is out of date with pyproject.toml or requirements/airflow.in; run: bash requirements/lock.sh" >&2
  exit 1
fi
echo "lock.sh --check: the lock matches pyproject.toml and requirements/airflow.in"
