# Multi-stage: build the wheel and its dependencies, then a slim runtime as a non-root user.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/fengqiao
COPY pyproject.toml README.md ./
COPY fengqiao ./fengqiao
COPY config ./fengqiao/config
RUN /opt/fengqiao/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/fengqiao/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk fontconfig \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 fengqiao
COPY --from=build /opt/fengqiao /opt/fengqiao
ENV PATH=/opt/fengqiao/bin:$PATH \
    FENGQIAO_DATA_DIR=/var/lib/fengqiao \
    PYTHONUNBUFFERED=1
RUN mkdir -p /var/lib/fengqiao && chown fengqiao /var/lib/fengqiao
USER fengqiao
WORKDIR /var/lib/fengqiao
VOLUME ["/var/lib/fengqiao"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
CMD ["fengqiao", "serve", "--host", "0.0.0.0", "--port", "8080"]
