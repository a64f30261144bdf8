# One image for every scimflow service; the command picks the service:
#   docker run ... scimflow python -m services.<gateway|user_store|seat_allocator|notifier|sync_status|portal>
# Settings come from the environment (KAFKA_BOOTSTRAP_SERVERS, SCIMFLOW_*), see compose.yaml.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the project and its dependencies into a virtualenv ---------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first, in their own layer, so that a code change does not reinstall them: the versions
# the suite passed with (requirements.lock constrains what pyproject.toml asks for).
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install -c requirements.lock -r requirements.txt

# The project itself (no test extras). Only the packages: tests, scripts and dev caches stay out.
COPY contracts/ contracts/
COPY shared/ shared/
COPY services/ services/
RUN pip install -c requirements.lock .

# --- runtime -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SCIMFLOW_DATA_DIR=/data \
    SCIMFLOW_HTTP_HOST=0.0.0.0 \
    SCIMFLOW_HTTP_PORT=8080

# A fixed numeric uid/gid, so that runAsNonRoot-style checks can verify it and volume ownership is
# stable across rebuilds. /data is owned by it: a new named volume mounted there inherits the owner.
RUN groupadd --system --gid 10001 scimflow \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin scimflow \
    && install -d -o 10001 -g 10001 -m 0750 /data \
    && install -d -m 0755 /app

COPY --from=build /opt/venv /opt/venv

# An empty working directory: `python -m` puts the cwd on sys.path, and the code lives in the venv.
WORKDIR /app
VOLUME ["/data"]
EXPOSE 8080

USER 10001:10001

# Each service handles SIGTERM itself (the gateway stops taking requests, workers commit their batch).
STOPSIGNAL SIGTERM
CMD ["python", "-m", "services.gateway"]
