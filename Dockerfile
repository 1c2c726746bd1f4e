# The image deploy/ runs: a static jobguard on distroless, as user 65532 (the manifests' runAsUser).
# Not built in this repository's CI (no container engine there): build it with
#   docker build -t ghcr.io/jobguard/jobguard:v0.1.0 .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /jobguard ./cmd/jobguard

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /jobguard /jobguard
USER 65532:65532
ENTRYPOINT ["/jobguard"]
