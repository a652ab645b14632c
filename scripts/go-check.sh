#!/usr/bin/env bash
# Go checks of the in-repository Go modules (language host, resource providers): gofmt, go vet, and
# the providers' tests (the PostgreSQL provider's start a throwaway PostgreSQL 15).
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted="$(gofmt -l tools)"
if [ -n "$unformatted" ]; then
  echo "go-check: these files are not gofmt-formatted (run: gofmt -w tools):" >&2
  echo "$unformatted" >&2
  exit 1
fi
for m in tools/pulumi-language-nodejs tools/pulumi-providers; do
  GOFLAGS=-mod=readonly go -C "$m" vet ./...
done
GOFLAGS=-mod=readonly go -C tools/pulumi-providers test -count=1 ./...
