# syntax=docker/dockerfile:1
# Tartan node image: a static binary on a minimal base, run as a non-root
# user, with the node's directory on a volume.
#
#   docker build -t tartan --build-arg VERSION=$(git describe --always) .
#   docker run --rm -v tartan:/data tartan init --role validator --dir /data --api 0.0.0.0:26650
#   docker run -d -v tartan:/data -p 26650:26650 -p 2121:2121 -p 2121:2121/udp tartan start --dir /data

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/tartan ./cmd/tartan \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tartan /usr/local/bin/tartan
# Owned by the nonroot user (65532), so a new named volume is writable.
COPY --from=build --chown=65532:65532 /out/data /data
# The node's directory: config.json, genesis.json, keys, leveldb and squares.
VOLUME ["/data"]
# 26650: REST API. 2121: libp2p, TCP and QUIC (UDP).
EXPOSE 26650 2121/tcp 2121/udp 26656/tcp
USER nonroot:nonroot
# Healthy once the REST API answers GET /health. Exec form: the image has no
# shell. A node whose API is not on port 26650 needs its own --api here.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/tartan", "health", "--api", "http://127.0.0.1:26650", "--timeout", "5s"]
ENTRYPOINT ["/usr/local/bin/tartan"]
CMD ["start", "--dir", "/data"]
