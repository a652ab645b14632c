#!/usr/bin/env bash
# `npm run lint:workflows`: lints .github/workflows with a pinned actionlint.
# Installs actionlint with `go install` into a cache outside the repository the first time
# (ACTIONLINT_CACHE_DIR, default ~/.cache/clinicmaster-cdc/actionlint/<version>), then reuses it.
# If shellcheck is on PATH, actionlint also checks every `run:` script with it.
# Fails loudly when Go is missing, the install fails or the binary reports another version.
set -euo pipefail

ACTIONLINT_VERSION="v1.7.12"

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${ACTIONLINT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clinicmaster-cdc/actionlint/$ACTIONLINT_VERSION}"
case "$(cd "$(dirname "$cache")" 2>/dev/null && pwd || echo "$cache")/" in
  "$root"/*)
    echo "actionlint: cache dir $cache is inside the repository; set ACTIONLINT_CACHE_DIR to a path outside $root" >&2
    exit 1
    ;;
esac
bin="$cache/actionlint"

installed_version() {
  "$bin" -version 2>/dev/null | head -n 1
}

if [ ! -x "$bin" ] || [ "$(installed_version)" != "$ACTIONLINT_VERSION" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "actionlint: Go is needed to install actionlint $ACTIONLINT_VERSION and 'go' is not on PATH;" >&2
    echo "  install Go 1.25 or newer (https://go.dev/dl/) or put an actionlint $ACTIONLINT_VERSION binary at $bin" >&2
    exit 1
  fi
  # actionlint v1.7.12 needs Go 1.25; Go 1.21+ fetches that toolchain itself (GOTOOLCHAIN=auto).
  go_minor="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
  if [ -z "$go_minor" ] || [ "$go_minor" -lt 21 ]; then
    echo "actionlint: $(go version) is too old to build actionlint $ACTIONLINT_VERSION; install Go 1.25 or newer" >&2
    exit 1
  fi
  echo "actionlint: installing $ACTIONLINT_VERSION into $cache"
  mkdir -p "$cache"
  if ! GOBIN="$cache" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"; then
    echo "actionlint: 'go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION' failed;" >&2
    echo "  check network access to the Go module proxy (GOPROXY=$(go env GOPROXY))" >&2
    exit 1
  fi
fi

got="$(installed_version)"
if [ "$got" != "$ACTIONLINT_VERSION" ]; then
  echo "actionlint: $bin reports version '$got', expected $ACTIONLINT_VERSION; delete $cache and rerun" >&2
  exit 1
fi

shopt -s nullglob
workflows=("$root"/.github/workflows/*.yml "$root"/.github/workflows/*.yaml)
if [ ${#workflows[@]} -eq 0 ]; then
  echo "actionlint: no workflow files under $root/.github/workflows" >&2
  exit 1
fi

if command -v shellcheck >/dev/null 2>&1; then
  echo "actionlint $got, with $(shellcheck --version | sed -n 's/^version: /shellcheck /p'): ${#workflows[@]} workflow(s)"
else
  echo "actionlint $got (shellcheck not on PATH: run: scripts are not shell-checked): ${#workflows[@]} workflow(s)"
fi
cd "$root"
"$bin" -no-color "${workflows[@]#"$root"/}"
echo "actionlint: ok"
