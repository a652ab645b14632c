#!/usr/bin/env bash
# Installs the Debian packages the tests need (idempotent; skips apt when everything is present).
# Used by .ci/run and by `npm start` on a fresh machine.
set -euo pipefail
need=()
# Java runs Kafka and Kafka Connect; keytool (same package) makes the loopback cluster's TLS material.
command -v java >/dev/null 2>&1 && command -v keytool >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
# Maven fetches the pinned Kafka and Debezium jars once (infra/local/maven, `npm run dataplane:fetch`).
command -v mvn >/dev/null 2>&1 || need+=(maven)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
# shellcheck: actionlint checks the workflows' run: scripts with it.
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# actionlint (workflow lint) is built from the Go module proxy and needs Go >= 1.21.
if ! command -v go >/dev/null 2>&1; then
  echo "Go >= 1.21 is required to build actionlint (npm run lint:workflows); install Go from your distribution or go.dev" >&2
  exit 1
fi
# Debian's postgresql-15 may start a cluster on 5432; the tests start their own on free ports.
echo "system packages: java $(java -version 2>&1 | head -1 | cut -d'"' -f2), maven $(mvn -v 2>/dev/null | head -1 | awk '{print $3}'), postgres $(/usr/lib/postgresql/15/bin/postgres --version | awk '{print $3}')"
