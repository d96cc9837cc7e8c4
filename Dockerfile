# roomcast: the web client built with Node, served by the Python package.
# docker build -t roomcast .
# docker run -p 8000:8000 -v roomcast-data:/data roomcast   (embedded: SQLite and secret in /data)
# compose.yaml and docs/deployment.md: the scaled setup, the proxy and the security settings.

FROM node:20-bookworm-slim AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.12-slim-bookworm
# Embedded mode keeps its SQLite database and its generated JWT secret (written next to the
# database) in /data, a volume: recreating the container keeps every message and every token.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    WEB_DIST=/app/web \
    DATABASE_URL=sqlite+aiosqlite:////data/roomcast.db \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKERS=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && rm -rf src
COPY --from=web /src/frontend/dist /app/web
RUN useradd --system --uid 10001 roomcast && mkdir /data && chown roomcast /app /data
# Declared after the chown: a new volume starts as a copy of /data, owned by roomcast.
VOLUME ["/data"]
USER roomcast
EXPOSE 8000
# SIGTERM drains: in-flight messages are committed and delivered, sockets close with 1001.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=2)"
CMD ["sh", "-c", "exec roomcast serve --host \"$HOST\" --port \"$PORT\" --workers \"$WORKERS\""]
