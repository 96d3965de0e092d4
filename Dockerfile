# The jenkins-trigger image: the GitHub action's image (action.yml), an image
# for GitLab CI jobs, and for `docker run`. Inputs come from the environment
# (INPUT_<NAME> on GitHub, JENKINS_<NAME> elsewhere); see README.md.
#
#   docker build --build-arg VERSION=v1.0.0 --build-arg COMMIT=$(git rev-parse HEAD) -t jenkins-trigger .
#
# Both base images are pinned by the digest of their multi-platform index;
# Dependabot (.github/dependabot.yml) keeps tag and digest current together.

# Build stage. It runs on the builder's own platform and cross-compiles for
# the target one, so a multi-arch build runs no Go toolchain under emulation.
# The official golang image sets GOTOOLCHAIN=local: its Go must be at least
# go.mod's go version.
FROM --platform=$BUILDPLATFORM golang:1.26.9-alpine@sha256:cdfd4fe2da6b225d8b40c6b7a105736e548e83ff56d5d8f9394446eeb5eb84e0 AS build
WORKDIR /src

# Modules first, in a layer of their own: a source change does not download
# them again.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath \
      -ldflags "-s -w -X github.com/jenkins-trigger/jenkins-trigger/internal/cli.version=${VERSION} -X github.com/jenkins-trigger/jenkins-trigger/internal/cli.commit=${COMMIT}" \
      -o /out/jenkins-trigger .

# Final stage: busybox gives a shell (GitLab CI runs its job script with one)
# and little else; the CA bundle comes from the build stage. The binary is
# static, so the musl or glibc flavour does not matter; the stage has no RUN,
# so building it for another platform needs no emulation either.
FROM busybox:1.37.0-musl@sha256:5cec3fc171c87218698e85a52af7087de727372aae264a787b8112901a5b0092

COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/jenkins-trigger /usr/local/bin/jenkins-trigger
# The action's post step (action.yml's post-entrypoint), executable as it is
# committed.
COPY docker/post-entrypoint /usr/local/bin/jenkins-trigger-post

ARG VERSION=dev
ARG COMMIT=unknown
# Release builds pass docker/metadata-action's labels, which take source and
# licenses from the repository that builds them (a fork's own); these are the
# defaults for a local build. The license is MIT (LICENSE), as an SPDX id.
LABEL org.opencontainers.image.title="jenkins-trigger" \
      org.opencontainers.image.description="Trigger a Jenkins job, follow it to its result and report its outputs and exit code" \
      org.opencontainers.image.source="https://github.com/jenkins-trigger/jenkins-trigger" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"

# No USER line on purpose: GitHub requires Docker container actions to run as
# root. The runner mounts GITHUB_WORKSPACE and the file-command files
# (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, ...) owned by its own user, and a
# non-root user in the container cannot write them.
ENTRYPOINT ["/usr/local/bin/jenkins-trigger"]
