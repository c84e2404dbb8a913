# syntax=docker/dockerfile:1
# pinnsweep container image: one static binary (coordinator, worker and
# client in one), plus grpc_health_probe for Kubernetes exec probes over TLS.
#
#   docker build -t pinnsweep:dev .
#   docker run --rm pinnsweep:dev version
#
# Multi-stage: the Go toolchain builds a static binary (CGO_ENABLED=0, the
# pure-Go build with the archsimd AVX2/FMA kernels, as `make build`); the
# final image is distroless/static running as the non-root user 65532.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that source edits reuse the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN GOEXPERIMENT=simd CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/pinnsweep ./cmd/pinnsweep \
 && /out/pinnsweep version
# The kubelet's built-in gRPC probe cannot speak TLS; this probe can
# (deploy/k8s/README.md, "Probes").
RUN CGO_ENABLED=0 GOBIN=/out go install -trimpath -ldflags="-s -w" github.com/grpc-ecosystem/grpc-health-probe@v0.4.62 \
 && mv /out/grpc-health-probe /out/grpc_health_probe

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pinnsweep /usr/local/bin/pinnsweep
COPY --from=build /out/grpc_health_probe /usr/local/bin/grpc_health_probe
# distroless's "nonroot" user, numeric so that Kubernetes' runAsNonRoot can
# verify it.
USER 65532:65532
WORKDIR /data
EXPOSE 7433
ENTRYPOINT ["/usr/local/bin/pinnsweep"]
CMD ["help"]
