# ParkVPP service image: `parkvpp serve <service>` (deploy/k8s passes the service name).
#
# Two stages: `build` installs the project and its dependencies (all binary wheels) into
# a virtual environment and drops pip and setuptools from it; `runtime` copies only that
# environment onto a clean slim Python, runs as the unprivileged user 10001 and works
# with a read-only root filesystem (nothing writes outside /tmp).
#
#   docker build -t parkvpp:0.1.0 .
#   docker run --rm parkvpp:0.1.0 market          # needs REDIS_URL, KAFKA_BOOTSTRAP_SERVERS
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/parkvpp
# Only what `pip install .` needs: metadata, the contract and the four packages.
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY services ./services
COPY bidding ./bidding
COPY settlement ./settlement
COPY certificates ./certificates
RUN /opt/parkvpp/bin/pip install . \
    && /opt/parkvpp/bin/pip uninstall --yes pip setuptools wheel

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="parkvpp" \
      org.opencontainers.image.description="ParkVPP gRPC services: VPP, bidding, settlement, certificates" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 parkvpp \
    && useradd --system --uid 10001 --gid parkvpp --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin parkvpp
COPY --from=build /opt/parkvpp /opt/parkvpp
ENV PATH=/opt/parkvpp/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PARKVPP_GRPC_HOST=0.0.0.0 \
    PARKVPP_GRPC_PORT=50051 \
    PARKVPP_METRICS_PORT=9100 \
    PARKVPP_DATA_DIR=/tmp/parkvpp
WORKDIR /tmp
USER 10001:10001
# gRPC, metrics, and the plaintext health-only port used with TLS (PARKVPP_HEALTH_PORT).
EXPOSE 50051 9100 50052
ENTRYPOINT ["parkvpp", "serve"]
CMD ["--help"]
