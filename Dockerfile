# ParkVPP service image: `parkvpp serve <service>` (deploy/k8s passes the service name).
#
# Two stages: `build` installs the locked runtime dependencies (requirements/runtime.txt,
# every file checked against its hash, all binary wheels) and then the project without
# resolving anything again, into a virtual environment, and drops pip and setuptools
# from it; `runtime` copies only that environment onto a clean slim Python, runs as the
# unprivileged user 10001 and works with a read-only root filesystem (nothing writes
# outside /tmp). The image has no extras: no plots or Parquet exports (`exports`), no
# embedded Valkey or broker (`embedded`), no test tools (`dev`); see pyproject.toml.
#
#   docker build -t parkvpp:0.1.0 .
#   docker run --rm parkvpp:0.1.0 market          # needs REDIS_URL, KAFKA_BOOTSTRAP_SERVERS
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/parkvpp
# The locks first, so the dependency layer is reused while only the code changes.
COPY requirements/runtime.txt requirements/build.txt ./requirements/
RUN /opt/parkvpp/bin/pip install --require-hashes --no-deps \
        -r requirements/build.txt -r requirements/runtime.txt
# Only what building the project needs: metadata, the contract and the four packages.
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY services ./services
COPY bidding ./bidding
COPY settlement ./settlement
COPY certificates ./certificates
# --no-deps: every dependency came from the lock; `pip check` fails the build if the lock
# misses one that pyproject.toml declares. Then the build tools go, and the libraries'
# own test suites (pandas/tests, numpy/*/tests: 60 MB that nothing imports).
RUN /opt/parkvpp/bin/pip install --no-deps --no-build-isolation . \
    && /opt/parkvpp/bin/pip check \
    && /opt/parkvpp/bin/pip uninstall --yes pip setuptools wheel packaging \
    && find /opt/parkvpp/lib/python3.*/site-packages -mindepth 2 -type d -name tests \
       -prune -exec rm -rf {} +

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
