#!/usr/bin/env bash
# Builds a pinned Pulumi toolchain (CLI, language hosts, resource providers) from the Go module proxy
# into a cache outside the repository, then reuses it. See docs/ENGINE.md.
#
#   bash scripts/pulumi-toolchain.sh            # build what is missing, print the bin dir
#   bash scripts/pulumi-toolchain.sh --print-bin   # only print the bin dir (no build, no output otherwise)
#   bash scripts/pulumi-toolchain.sh --retry    # also retry components recorded as unavailable
#   bash scripts/pulumi-toolchain.sh --status   # show what is built / unavailable, build nothing
#
# Cache: $PULUMI_TOOLCHAIN_DIR (default ${XDG_CACHE_HOME:-~/.cache}/clinicmaster-cdc/pulumi-toolchain)
#        /<pin-hash>/bin holds the binaries; <pin-hash> changes whenever a pin below, the Go version
#        or the build recipe changes, so a stale toolchain is never reused.
# Exit:  0 when every required component is built; 3 when a required component could not be built
#        (what and why is printed and kept in <pin-hash>/status/*.unavailable); 1 on usage/environment
#        errors (no Go, Go too old, cache inside the repository). Required: the components marked so in
#        COMPONENTS below, or exactly those named in $PULUMI_TOOLCHAIN_REQUIRED (space-separated, e.g.
#        "pulumi language-nodejs").
#
# Each component is built in a throwaway wrapper module (go install pkg@version refuses modules with
# replace directives): the wrapper requires the upstream module at the pinned version and restates the
# upstream go.mod's replace lines that point at other modules; replace lines that point into the
# upstream repository (=> ../sdk) are satisfied by requiring that sibling module at the same version.
# Builds run under `nice -n 19` with `go build -p 1` so a shared 2-core machine stays usable.
set -euo pipefail

# ---- pins -------------------------------------------------------------------------------------------
# The repository pins @pulumi/pulumi 3.270.0 (npm). The Go module proxy here does not serve the
# github.com/pulumi/pulumi/pkg/v3 v3.270.0 zip (403 "This module version is not available"); the
# nearest served versions are v3.260.0 and v3.274.0. A newer CLI runs older Node.js SDKs, so the CLI
# is pinned to v3.274.0 (with sdk/v3 v3.274.0, which pkg/v3's go.mod replaces with ../sdk).
PULUMI_CLI_VERSION="v3.274.0"
# The Node.js language host: upstream's module (github.com/pulumi/pulumi/sdk/nodejs/cmd/
# pulumi-language-nodejs/v3, any version) is not served by the proxy here (403 "This module version is
# not available"), so the in-repository host under tools/pulumi-language-nodejs (built against sdk/v3
# v3.274.0 from the proxy) is built instead: a module path starting with ./ is a directory of this
# repository, built as is with -mod=readonly, and its files are part of the pin hash.
# The resource providers: upstream's bridged providers (github.com/pulumi/pulumi-kafka/provider/v3,
# pulumi-postgresql/provider/v3, pulumi-random/provider/v4) and the Terraform providers they wrap are
# not served by the proxy here (403 at every version), so the providers under tools/pulumi-providers
# are built instead: they speak the schema of the npm SDKs package.json pins (@pulumi/kafka 3.13.2,
# @pulumi/postgresql 3.18.1, @pulumi/random 4.21.2) for the resource types the programs use.
# component|module@version|package to build|binary name|-X ldflag for the version (empty: none)|required
COMPONENTS=(
  "pulumi|github.com/pulumi/pulumi/pkg/v3@${PULUMI_CLI_VERSION}|github.com/pulumi/pulumi/pkg/v3/cmd/pulumi|pulumi|github.com/pulumi/pulumi/sdk/v3/go/common/version.Version|required"
  "language-nodejs|./tools/pulumi-language-nodejs@3.274.0+clinicmaster.1|.|pulumi-language-nodejs|main.version|required"
  "kafka|./tools/pulumi-providers@3.13.2+clinicmaster.1|./cmd/pulumi-resource-kafka|pulumi-resource-kafka|main.version|required"
  "postgresql|./tools/pulumi-providers@3.18.1+clinicmaster.1|./cmd/pulumi-resource-postgresql|pulumi-resource-postgresql|main.version|required"
  "random|./tools/pulumi-providers@4.21.2+clinicmaster.1|./cmd/pulumi-resource-random|pulumi-resource-random|main.version|required"
)
# Extra modules every wrapper requires at a fixed version (module@version), e.g. the sibling sdk/v3
# that pkg/v3 replaces with ../sdk upstream.
EXTRA_REQUIRES=("github.com/pulumi/pulumi/pkg/v3@${PULUMI_CLI_VERSION}" "github.com/pulumi/pulumi/sdk/v3@${PULUMI_CLI_VERSION}")
RECIPE_VERSION="2"
MIN_GO_MINOR=21 # Go 1.21+ fetches a newer toolchain itself when a module needs one (GOTOOLCHAIN=auto)

# ---- arguments --------------------------------------------------------------------------------------
mode="build"
retry=0
for arg in "$@"; do
  case "$arg" in
    --print-bin) mode="print-bin" ;;
    --status) mode="status" ;;
    --retry) retry=1 ;;
    -h | --help)
      sed -n '2,23p' "$0"
      exit 0
      ;;
    *)
      echo "pulumi-toolchain: unknown argument '$arg' (see --help)" >&2
      exit 1
      ;;
  esac
done

log() { [ "$mode" = "print-bin" ] || echo "pulumi-toolchain: $*" >&2; }
die() {
  echo "pulumi-toolchain: ERROR: $*" >&2
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---- Go ---------------------------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  die "Go is not on PATH. The Pulumi toolchain is built from the Go module proxy and needs Go 1.${MIN_GO_MINOR}+ (1.26.6+ avoids a toolchain download); install Go and rerun."
fi
go_env="$(go env GOVERSION GOOS GOARCH GOMODCACHE 2>/dev/null || true)"
go_version="$(printf '%s\n' "$go_env" | sed -n 1p)"
go_minor="$(printf '%s' "$go_version" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
if [ -z "$go_minor" ] || [ "$go_minor" -lt "$MIN_GO_MINOR" ]; then
  die "$(go version 2>/dev/null || echo 'go') is too old: Go 1.${MIN_GO_MINOR}+ is needed (1.26.6+ to build without fetching a toolchain)."
fi

# ---- cache ------------------------------------------------------------------------------------------
root="$(cd "$(dirname "$0")/.." && pwd)"
# The pin hash covers the pinned upstream modules only; an in-repository component is rebuilt when its
# own sources change (their hash is kept in status/<component>.ok), without rebuilding the CLI.
pin_text="recipe=$RECIPE_VERSION go=$go_version os=$(printf '%s\n' "$go_env" | sed -n 2p)/$(printf '%s\n' "$go_env" | sed -n 3p)
$(printf '%s\n' "${COMPONENTS[@]}" "${EXTRA_REQUIRES[@]}" | grep -v '^[^|]*|\./')"
# Source hash of an in-repository component (module directory relative to the repository).
source_hash() {
  local d="$root/$1"
  [ -d "$d" ] || die "in-repository component directory $d is missing"
  (cd "$d" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) ! -name '*_test.go' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}
pin_hash="$(printf '%s' "$pin_text" | sha256sum | cut -c1-16)"
base="${PULUMI_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clinicmaster-cdc/pulumi-toolchain}"
mkdir -p "$base"
base="$(cd "$base" && pwd)"
case "$base/" in
  "$root"/*) die "cache dir $base is inside the repository; set PULUMI_TOOLCHAIN_DIR to a path outside $root" ;;
esac
cache="$base/$pin_hash"
bin="$cache/bin"
status="$cache/status"

if [ "$mode" = "print-bin" ]; then
  echo "$bin"
  exit 0
fi

field() { printf '%s' "$1" | cut -d'|' -f"$2"; }

# The version a built binary reports: the CLI and providers say it themselves; language hosts start
# a server when run, so for them (and as a fallback) the module version compiled in is read with
# `go version -m`.
binary_version() {
  local name="$1" module="$2" path="$bin/$1" out=""
  case "$name" in
    pulumi) out="$(timeout 30 "$path" version 2>/dev/null || true)" ;;
    pulumi-resource-* | pulumi-language-nodejs) out="$(timeout 30 "$path" -version 2>/dev/null || true)" ;;
  esac
  if [ -z "$out" ]; then
    out="$(go version -m "$path" 2>/dev/null | awk -v m="$module" '$1 == "dep" && $2 == m { print m " " $3 " (go version -m)" }')"
  fi
  printf '%s' "$out" | head -n 1 | tr -d '\r'
}

if [ "$mode" = "status" ]; then
  echo "cache: $cache"
  for c in "${COMPONENTS[@]}"; do
    name="$(field "$c" 1)"
    if [ -f "$status/$name.ok" ]; then
      echo "  $name: built ($(cat "$status/$name.ok"))"
    elif [ -f "$status/$name.unavailable" ]; then
      echo "  $name: UNAVAILABLE: $(sed -n '1,2p' "$status/$name.unavailable" | cut -d' ' -f2 | paste -sd@): $(sed -n '4,$p' "$status/$name.unavailable" | head -n 1)"
    else
      echo "  $name: not built"
    fi
  done
  exit 0
fi

mkdir -p "$bin" "$status"
gomodcache="$(printf '%s\n' "$go_env" | sed -n 4p)"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED="${CGO_ENABLED:-0}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

# Writes the wrapper's go.mod: requires the upstream module (plus EXTRA_REQUIRES) and restates the
# upstream replace lines that point at other modules.
write_wrapper() {
  local dir="$1" module="$2" version="$3" upstream_gomod="$4"
  {
    echo "module clinicmaster.local/pulumi-toolchain-wrapper"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "$upstream_gomod" | head -n 1)"
    echo
    echo "require $module $version"
    local extra
    for extra in "${EXTRA_REQUIRES[@]}"; do
      [ "${extra%@*}" = "$module" ] || echo "require ${extra%@*} ${extra#*@}"
    done
    echo
    # single-line `replace a => b v` and lines inside a `replace ( ... )` block
    awk '
      /^replace[ \t]*\($/ { inblock = 1; next }
      inblock && /^\)/ { inblock = 0; next }
      inblock { print "replace " $0; next }
      /^replace[ \t]/ { print }
    ' "$upstream_gomod" | sed 's#//.*$##' | awk '
      # keep replaces whose target is a module path, drop those into the upstream repository (./ ../)
      { split($0, p, "=>"); t = p[2]; gsub(/^[ \t]+/, "", t); if (t !~ /^\.\.?\//) print }
    '
  } >"$dir/go.mod"
}

build_component() {
  local spec="$1"
  local name modver pkg binname ldvar
  name="$(field "$spec" 1)"
  modver="$(field "$spec" 2)"
  pkg="$(field "$spec" 3)"
  binname="$(field "$spec" 4)"
  ldvar="$(field "$spec" 5)"
  local module="${modver%@*}" version="${modver#*@}"
  local t0 t1 err work gomod
  t0="$(now)"
  err="$(mktemp)"
  log "$name: $module@$version -> $bin/$binname"
  local ldflags="-s -w"
  [ -z "$ldvar" ] || ldflags="$ldflags -X $ldvar=$version"
  if [ "${module#./}" != "$module" ]; then
    if ! (cd "$root/$module" && GOFLAGS="-mod=readonly -buildvcs=false" nice -n 19 go build -p 1 -trimpath -ldflags "$ldflags" -o "$bin/$binname.tmp" "$pkg") >"$err" 2>&1; then
      {
        echo "module: $module (in this repository)"
        echo "version: $version"
        echo "step: go build in $root/$module"
        tail -n 40 "$err"
      } >"$status/$name.unavailable"
      rm -f "$err"
      log "$name: BUILD FAILED (see $status/$name.unavailable):"
      tail -n 15 "$status/$name.unavailable" >&2
      return 1
    fi
    rm -f "$err"
    finish_component "$name" "$module" "$version" "$binname" "$t0"
    return
  fi
  if ! gomod="$(go mod download -json "$module@$version" 2>"$err" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')" ||
    [ -z "$gomod" ] || ! grep -q '^module ' "$gomod" 2>/dev/null ||
    ! go mod download "$module@$version" 2>>"$err"; then
    {
      echo "module: $module"
      echo "version: $version"
      echo "step: go mod download $module@$version (GOPROXY=$(go env GOPROXY))"
      go mod download -json "$module@$version" 2>&1 | sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' | sed 's/\\n/ /g; s/\\t/ /g'
      cat "$err"
    } | awk 'NF' >"$status/$name.unavailable"
    rm -f "$err"
    log "$name: UNAVAILABLE from the module proxy: $(sed -n 4p "$status/$name.unavailable")"
    return 1
  fi
  work="$(mktemp -d)"
  write_wrapper "$work" "$module" "$version" "$gomod"
  if ! (cd "$work" && nice -n 19 go build -p 1 -trimpath -ldflags "$ldflags" -o "$bin/$binname.tmp" "$pkg") >"$err" 2>&1; then
    {
      echo "module: $module"
      echo "version: $version"
      echo "step: go build $pkg in a wrapper module"
      echo "wrapper go.mod:"
      sed 's/^/  /' "$work/go.mod"
      tail -n 40 "$err"
    } >"$status/$name.unavailable"
    rm -rf "$work" "$err"
    log "$name: BUILD FAILED (see $status/$name.unavailable):"
    tail -n 15 "$status/$name.unavailable" >&2
    return 1
  fi
  rm -rf "$work" "$err"
  finish_component "$name" "$module" "$version" "$binname" "$t0"
}

# Installs <bin>/<binname>.tmp as <bin>/<binname> once it reports the pinned version.
finish_component() {
  local name="$1" module="$2" version="$3" binname="$4" t0="$5" t1 got
  mv "$bin/$binname.tmp" "$bin/$binname"
  t1="$(now)"
  got="$(binary_version "$binname" "$module")"
  case "$got" in
    *"${version#v}"*) ;;
    *)
      echo "module: $module
version: $version
step: version check: $bin/$binname reports '$got'" >"$status/$name.unavailable"
      rm -f "$bin/$binname"
      log "$name: built binary reports version '$got', expected $version"
      return 1
      ;;
  esac
  rm -f "$status/$name.unavailable"
  echo "$module@$version reports '$got'; built in $(elapsed "$t0" "$t1")s on $(date -u +%FT%TZ) ${COMPONENT_SOURCE_HASH:-}" >"$status/$name.ok"
  log "$name: built in $(elapsed "$t0" "$t1")s, reports '$got'"
}

# Upstream ships the Node.js dynamic-provider plugin as a shell script next to `pulumi`; the engine
# looks for it there (or on PATH). This is the same idea: run @pulumi/pulumi's cmd/dynamic-provider from
# the program's node_modules (the engine starts it in the program directory).
write_dynamic_provider_shim() {
  local path="$bin/pulumi-resource-pulumi-nodejs" tmp
  tmp="$(mktemp)"
  cat >"$tmp" <<'SHIM'
#!/bin/sh
# Pulumi Node.js dynamic provider: runs @pulumi/pulumi/cmd/dynamic-provider from the nearest node_modules.
d="$(pwd)"
while :; do
  if [ -f "$d/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js" ]; then
    exec node "$d/node_modules/@pulumi/pulumi/cmd/dynamic-provider" "$@"
  fi
  [ "$d" = / ] && break
  d="$(dirname "$d")"
done
echo "pulumi-resource-pulumi-nodejs: no node_modules/@pulumi/pulumi/cmd/dynamic-provider in $(pwd) or above it" >&2
exit 1
SHIM
  chmod 755 "$tmp"
  if cmp -s "$tmp" "$path"; then rm -f "$tmp"; else mv "$tmp" "$path"; fi
}

t_start="$(now)"
modcache_before="$(du -sk "$gomodcache" 2>/dev/null | cut -f1 || echo 0)"
built=0
failed_required=()
for c in "${COMPONENTS[@]}"; do
  name="$(field "$c" 1)"
  binname="$(field "$c" 4)"
  required="$(field "$c" 6)"
  if [ -n "${PULUMI_TOOLCHAIN_REQUIRED+set}" ]; then
    case " $PULUMI_TOOLCHAIN_REQUIRED " in
      *" $name "*) required=required ;;
      *) required=optional ;;
    esac
  fi
  modver="$(field "$c" 2)"
  src=""
  case "$modver" in ./*) src="src=$(source_hash "${modver%@*}")" ;; esac
  if [ -f "$status/$name.ok" ] && [ -x "$bin/$binname" ] && { [ -z "$src" ] || grep -q "$src" "$status/$name.ok"; }; then
    continue
  fi
  if [ -n "$src" ] && [ -f "$status/$name.ok" ]; then
    log "$name: sources changed, rebuilding"
    rm -f "$status/$name.ok"
  fi
  export COMPONENT_SOURCE_HASH="$src"
  if [ -f "$status/$name.unavailable" ] && [ "$retry" = 0 ]; then
    [ "$required" = required ] && failed_required+=("$name")
    continue
  fi
  built=$((built + 1))
  if ! build_component "$c"; then
    [ "$required" = required ] && failed_required+=("$name")
  fi
done
write_dynamic_provider_shim
t_end="$(now)"

if [ -f "$status/pulumi.ok" ]; then
  # Toolchains of older pins (sibling <pin-hash> directories) are no longer used: remove them.
  for old in "$base"/*; do
    case "$(basename "$old")" in
      "$pin_hash") ;;
      [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])
        [ -d "$old/bin" ] && rm -rf "$old" && log "removed the toolchain of an older pin: $old"
        ;;
    esac
  done
fi
if [ "$built" -gt 0 ]; then
  modcache_after="$(du -sk "$gomodcache" 2>/dev/null | cut -f1 || echo 0)"
  log "total: $(elapsed "$t_start" "$t_end")s for $built component(s); cache $(du -sh "$cache" | cut -f1) at $cache; GOMODCACHE grew by $(((modcache_after - modcache_before) / 1024)) MiB ($gomodcache)"
else
  log "up to date ($(elapsed "$t_start" "$t_end")s): $cache"
fi
for c in "${COMPONENTS[@]}"; do
  name="$(field "$c" 1)"
  if [ -f "$status/$name.ok" ]; then
    log "  ok           $name: $(cut -d';' -f1 "$status/$name.ok")"
  elif [ -f "$status/$name.unavailable" ]; then
    log "  UNAVAILABLE  $name: $(sed -n '1,2p' "$status/$name.unavailable" | cut -d' ' -f2 | paste -sd@) ($status/$name.unavailable)"
  fi
done
echo "$bin"
if [ "${#failed_required[@]}" -gt 0 ]; then
  echo "pulumi-toolchain: required component(s) not available: ${failed_required[*]} (details: $status/; --retry to try again)" >&2
  exit 3
fi
