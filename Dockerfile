# syntax=docker/dockerfile:1
# dagport image: a wheel built in one stage, installed with its runtime dependencies only in another,
# every package from the lock (requirements/*.txt, hash-checked; see README.md, Dependencies).
#   docker build -t dagport .
#   docker run -p 8080:8080 -e DAGPORT_DATABASE_URL=postgresql://user:pw@db/dagport dagport
# .ci/smoke-wheel.sh replays this build's install and start steps without Docker.

# -- build: the wheel only (no dependencies, no dev extras), by the locked build backend ----------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements/build.txt ./requirements/
RUN pip install --require-hashes -r requirements/build.txt
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /wheels .

# -- runtime ---------------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# The runtime lock first (--require-hashes: every file checked against the lock), then the wheel
# alone; pip check fails the build if the lock misses one of the wheel's dependencies. Both are
# bind-mounted, so neither lands in a layer of this image.
RUN --mount=type=bind,source=requirements/runtime.txt,target=/tmp/runtime.txt \
    --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --require-hashes -r /tmp/runtime.txt \
    && pip install --no-deps /wheels/dagport-*.whl \
    && pip check \
    && groupadd --system --gid 10001 dagport \
    && useradd --system --uid 10001 --gid dagport --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin dagport \
    && mkdir /data \
    && chown dagport:dagport /data

# /data holds the default embedded SQLite file (./dagport.db); point DAGPORT_DATABASE_URL at
# Postgres for anything beyond one container.
WORKDIR /data
USER 10001:10001

# DAGPORT_FORWARDED_ALLOW_IPS: the proxy addresses (IPs or CIDRs, comma-separated) whose
# X-Forwarded-For/-Proto are believed; set it to your load balancer's address (compose.yaml does).
# DAGPORT_ROOT_PATH: the sub-path the proxy serves dagport under, the proxy stripping it
# (deploy/nginx.conf).
ENV DAGPORT_HOST=0.0.0.0 \
    DAGPORT_PORT=8080 \
    DAGPORT_FORWARDED_ALLOW_IPS=127.0.0.1 \
    DAGPORT_LOG_FORMAT=json
EXPOSE 8080

# Readiness (the database answers), straight to the server: /ready is at the root even with
# DAGPORT_ROOT_PATH set (the proxy strips the prefix before dagport sees the request).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % os.environ.get('DAGPORT_PORT', '8080'), timeout=4)"]

# Exec form: dagport (then uvicorn, in the same process) is PID 1 and receives SIGTERM itself;
# uvicorn stops accepting connections and lets requests in flight finish (30 s at most).
STOPSIGNAL SIGTERM
CMD ["dagport", "serve"]
