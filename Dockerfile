# evictguard: the admission webhook (`evictguard serve`) and the linter in one image.
#   docker build -t ghcr.io/evictguard/evictguard:0.1.0 .
# The Deployment in manifests/base runs it as UID/GID 65532 with a read-only root
# filesystem; the server writes only to /tmp (an emptyDir there).

# Build the wheel apart, so the final image holds neither the sources nor the build tools.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY policies ./policies
COPY webhook ./webhook
COPY certs ./certs
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
LABEL org.opencontainers.image.title="evictguard" \
      org.opencontainers.image.description="Kubernetes admission webhook and linter for memory limits and tolerations" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && groupadd --system --gid 65532 evictguard \
    && useradd --system --uid 65532 --gid 65532 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin evictguard
# Numeric, so the kubelet can check runAsNonRoot without reading /etc/passwd.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["evictguard"]
CMD ["--help"]
