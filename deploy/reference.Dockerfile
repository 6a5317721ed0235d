# syntax=docker/dockerfile:1.7
# The reference data (communes, Territoires d'industrie...) as an image, for Kubernetes: an init
# container copies /reference into the pod (deploy/k8s). Build with the data folder as context,
# so that no copy of it enters this repository:
#   docker build -f deploy/reference.Dockerfile -t vte-reference:2026-11 ../shared/reference
FROM busybox:1.37
COPY . /reference
# Refuses to build from a folder whose files do not match its own checksums.
RUN cd /reference && sha256sum -c SHA256SUMS
USER 10001

