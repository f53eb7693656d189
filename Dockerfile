# netbox-sso as a container image: for kustomize's `container:` function form, kpt's `image:` and CI pipelines.
#   docker build -t ghcr.io/netbox-sso/netbox-sso:dev --build-arg VERSION=dev .
# Stage 1 builds a static binary; stage 2 is a distroless, non-root runtime that holds only that binary.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/netbox-sso/netbox-sso/internal/cli.Version=${VERSION}" \
      -o /out/netbox-sso .

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="netbox-sso" \
      org.opencontainers.image.description="Keycloak/OIDC single sign-on for netbox-chart: Helm post-renderer, kustomize transformer and kpt function" \
      org.opencontainers.image.source="https://github.com/netbox-sso/netbox-sso" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/netbox-sso /netbox-sso
# 65532 is the distroless "nonroot" user; a KRM function needs no privileges and no writable file system.
USER 65532:65532
ENTRYPOINT ["/netbox-sso"]
