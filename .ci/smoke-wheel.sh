#!/usr/bin/env bash
# Replays the Dockerfile without Docker: build the wheel from exactly what the image copies
# (pyproject.toml, README.md, app/) with the locked build backend (requirements/build.txt), install
# it into a clean venv after the locked runtime dependencies only (requirements/runtime.txt), start `dagport serve` as the image's CMD does, then check readiness, an authenticated API call
# with the token it writes to its token file (stdout is not a terminal), and a clean exit (status 0) within 10 s of SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN=(psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -q)
work=$(mktemp -d)
db="dagport_smoke_$$"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  "${PG_ADMIN[@]}" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "smoke-wheel: FAIL: $*" >&2
  for log in stdout stderr; do
    [ -f "$work/$log" ] && { echo "--- server $log" >&2; tail -n 40 "$work/$log" >&2; }
  done
  exit 1
}

# GET url [token] -> prints "<status> <body, first 1000 characters>"
http_get() {
  python3 - "$@" <<'PY'
import sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2:
    request.add_header("Authorization", f"Bearer {sys.argv[2]}")
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        print(response.status, response.read().decode()[:1000])
except urllib.error.HTTPError as exc:
    print(exc.code, exc.read().decode()[:1000])
except OSError:
    print(0, "")
PY
}

echo "== smoke-wheel: build (the Dockerfile's build stage)"
mkdir -p "$work/src" "$work/wheels" "$work/data"
python3 -m venv "$work/build"
"$work/build/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
  -r requirements/build.txt >"$work/pip.log" 2>&1 \
  || { cat "$work/pip.log" >&2; fail "pip install of the locked build backend failed"; }
cp -r pyproject.toml README.md app "$work/src/"
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
"$work/build/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation \
  --wheel-dir "$work/wheels" "$work/src"
wheel=$(ls "$work"/wheels/dagport-*.whl)
python3 - "$wheel" "$work/src" <<'PY' || fail "the wheel misses files the service needs"
import fnmatch, sys, zipfile
from pathlib import Path
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
src = Path(sys.argv[2])
required = [
    "app/db/migrations/env.py",
    "app/db/migrations/script.py.mako",
    "app/db/migrations/versions/*.py",
    "app/examples/dags/example_bash_operator.json",
    "app/examples/dags/*.yaml",
]
missing = [pattern for pattern in required if not fnmatch.filter(names, pattern)]
# Everything under app/ ships: migrations (no __init__.py), examples, static assets.
missing += sorted(str(f.relative_to(src)) for f in (src / "app").rglob("*")
                  if f.is_file() and str(f.relative_to(src)) not in names)
print("wheel:", len(names), "files; missing:", missing or "none")
sys.exit(1 if missing else 0)
PY

echo "== smoke-wheel: install (the runtime stage: the runtime lock, then the wheel alone)"
python3 -m venv "$work/venv"
pip_rt=("$work/venv/bin/python" -m pip --disable-pip-version-check)
"${pip_rt[@]}" install -q --require-hashes -r requirements/runtime.txt >"$work/pip.log" 2>&1 \
  || { cat "$work/pip.log" >&2; fail "pip install of the runtime lock failed"; }
"${pip_rt[@]}" install -q --no-deps "$wheel" >"$work/pip.log" 2>&1 \
  || { cat "$work/pip.log" >&2; fail "pip install of the wheel failed"; }
"${pip_rt[@]}" check >"$work/pip.log" 2>&1 \
  || { cat "$work/pip.log" >&2; fail "the runtime lock misses a dependency of the wheel"; }
if "$work/venv/bin/python" -m pip show -q pytest >/dev/null 2>&1; then
  fail "a dev dependency (pytest) was installed"
fi

echo "== smoke-wheel: serve (the image's CMD and ENV, on a throwaway Postgres database)"
# The ENV below is the Dockerfile's, but for DAGPORT_HOST (loopback here) and the database.
"${PG_ADMIN[@]}" -c "CREATE DATABASE $db"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# In a container dagport is PID 1 (exec-form CMD): run it as PID 1 of a new PID namespace, as
# `docker stop` finds it. PID 1 ignores signals it has no handler for, so uvicorn's re-raise of
# SIGTERM after its graceful shutdown is a no-op there and `dagport serve` returns 0. Where
# namespaces are not permitted, it runs as an ordinary process, whose status after that re-raise is
# 143 (killed by SIGTERM): accepted only together with uvicorn's "Application shutdown complete".
as_pid1=()
if unshare --pid --fork true 2>/dev/null; then as_pid1=(unshare --pid --fork --kill-child); fi
(
  cd "$work/data"
  exec "${as_pid1[@]}" env -i PATH="$work/venv/bin:/usr/bin:/bin" HOME="$work/data" \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DAGPORT_HOST=127.0.0.1 DAGPORT_PORT="$port" DAGPORT_FORWARDED_ALLOW_IPS=127.0.0.1 \
    DAGPORT_LOG_FORMAT=json DAGPORT_LOAD_EXAMPLES=true \
    DAGPORT_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$db" \
    dagport serve >"$work/stdout" 2>"$work/stderr"
) &
launcher_pid=$!
server_pid=$launcher_pid

ready=""
for _ in $(seq 1 60); do
  kill -0 "$launcher_pid" 2>/dev/null || fail "dagport serve exited before it was ready"
  if [ "$(http_get "$base/ready")" = '200 {"status":"ok"}' ]; then ready=yes; break; fi
  sleep 0.5
done
[ -n "$ready" ] || fail "/ready did not answer 200 within 30 s"
echo "/ready: 200"
if [ ${#as_pid1[@]} -gt 0 ]; then
  server_pid=$(pgrep -P "$launcher_pid")  # dagport, PID 1 inside its namespace
  echo "dagport runs as PID 1 of its own PID namespace (as in the container)"
else
  echo "unshare --pid not permitted: dagport runs as an ordinary process"
fi

# stdout is a file, not a terminal: the first-run token goes to DAGPORT_INITIAL_TOKEN_FILE (by
# default ./dagport-initial-token, mode 0600), and stdout names the file, never the token.
! grep -qE 'dp_[A-Za-z0-9_-]{43}' "$work/stdout" || fail "serve printed the API token to a non-terminal stdout"
token_file=$(grep -oE 'written to [^ ]+ \(mode 0600\)' "$work/stdout" | head -n 1 | cut -d' ' -f3)
[ "$token_file" = "$work/data/dagport-initial-token" ] || fail "serve named no token file on first start"
[ "$(stat -c %a "$token_file")" = "600" ] || fail "the token file is not mode 0600: $(stat -c %a "$token_file")"
token=$(grep -oE 'dp_[A-Za-z0-9_-]{43}' "$token_file" | head -n 1 || true)
[ -n "$token" ] || fail "the token file holds no API token"
echo "first-run token: in $token_file (0600), not on stdout"

answer=$(http_get "$base/api/experimental/dags/example_bash_operator/dag_runs" "$token")
[ "$answer" = "200 []" ] || fail "GET dag_runs with the token answered: $answer"
answer=$(http_get "$base/api/experimental/dags/example_bash_operator/dag_runs")
[ "${answer%% *}" = "401" ] || fail "GET dag_runs without a token answered: $answer"
echo "dag_runs: 200 [] with the token, 401 without"
answer=$(http_get "$base/static/swagger-ui/swagger-ui-bundle.js")
[ "${answer%% *}" = "200" ] || fail "the docs assets are not served from the installed wheel: ${answer:0:200}"
echo "docs assets: served from the installed wheel"

kill -TERM "$server_pid"
for _ in $(seq 1 20); do
  kill -0 "$launcher_pid" 2>/dev/null || break
  sleep 0.5
done
kill -0 "$launcher_pid" 2>/dev/null && fail "still running 10 s after SIGTERM"
status=0
wait "$launcher_pid" || status=$?
server_pid=""
grep -q '"msg": "Application shutdown complete."' "$work/stderr" || fail "no graceful shutdown logged"
if [ ${#as_pid1[@]} -gt 0 ] || [ "$status" -ne 143 ]; then
  [ "$status" -eq 0 ] || fail "exit status $status after SIGTERM"
fi
echo "SIGTERM: graceful shutdown, exit status $status"
echo "== smoke-wheel: OK"
