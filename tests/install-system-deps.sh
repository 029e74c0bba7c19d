#!/usr/bin/env bash
# The programs the test suite runs, installed from Debian's packages when missing (the first step of
# the README's test command; nothing is installed when all are there):
#   python3-venv  `python3 -m venv` (Debian's python3 comes without ensurepip)
#   postgresql    the server binaries (initdb, pg_ctl): the suite starts a private, throwaway cluster
#                 of its own unless DAGPORT_TEST_POSTGRES_URL names a server (tests/postgres.py)
#   nginx         tests/test_proxy.py and the reliability run: replicas behind a real proxy
#   pgbouncer     tests/test_pgbouncer.py: transaction pooling
#   chromium      tests/test_docs_browser.py: the /docs page in a headless browser
#   libatomic1    Playwright's Node driver, which drives chromium (not on a minimal Debian)
#   wrk           the benchmark harness (python -m bench), run by .ci/run
# As root through apt-get, otherwise through sudo; without either it names the packages and fails.
set -euo pipefail

missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
pg_bin=${DAGPORT_PG_BIN:-}
if [ -n "$pg_bin" ]; then
  [ -x "$pg_bin/initdb" ] || missing+=(postgresql)
else
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
fi
found() { PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null; }
found nginx || missing+=(nginx)
found pgbouncer || missing+=(pgbouncer)
found chromium || found chromium-browser || missing+=(chromium)
PATH="$PATH:/usr/sbin:/sbin" ldconfig -p 2>/dev/null | grep -q 'libatomic\.so\.1 ' || missing+=(libatomic1)
found wrk || missing+=(wrk)

[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-system-deps: installing ${missing[*]} (apt-get)" >&2
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "install-system-deps: not root and no sudo; as root run: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
