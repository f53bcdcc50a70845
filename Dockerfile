# syntax=docker/dockerfile:1
# Multi-stage build: the dashboard, the release binary (which embeds it), then a slim runtime.

FROM node:22-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The binary carries web/dist: it must be there before the build.
COPY --from=web /src/web/dist web/dist
RUN cargo build --release -p agented_server --bin agented

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app --shell /usr/sbin/nologin agented
WORKDIR /app
COPY --from=build /src/target/release/agented /usr/local/bin/agented
COPY config /app/config
ENV AGENTED_ENV=production \
    AGENTED_CONFIG_DIR=/app/config \
    AGENTED__DATA_DIR=/data \
    AGENTED__SERVER__BIND=0.0.0.0:20000
RUN install -d -o agented -g agented /data
VOLUME ["/data"]
USER agented
EXPOSE 20000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:20000/health/liveness || exit 1
ENTRYPOINT ["/usr/local/bin/agented"]
CMD ["serve"]
