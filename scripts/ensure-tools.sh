#!/usr/bin/env bash
# Builds (once per machine) the pinned binaries the development environment (devenv/) and the engine
# need, into ~/.cache/kluctl-serverless/<tool>-<version>/bin. Each Go tool has its own wrapper module under
# tools/<tool>/ with a committed go.sum, so every download is checked against it (see
# docs/adr/0002-test-environment.md). Safe to run repeatedly: a tool whose binary exists is skipped.
#
# usage: scripts/ensure-tools.sh [tool...]     tools: k8s etcd kwok helm kustomize sops registry localstack jinja2 openssh (default: all)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$HOME/.cache/kluctl-serverless   # lib/runtime-tools.ts and devenv/tools.ts look here too
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly

# shellcheck source=../tools/versions.env
. "$ROOT/tools/versions.env"

log() { printf '[ensure-tools] %s\n' "$*" >&2; }

build_go() { # name version ldflags pkg...
  local name=$1 version=$2 ldflags=$3; shift 3
  local out="$CACHE/$name-$version/bin"
  if [ -f "$out/.complete" ]; then return 0; fi
  log "building $name $version (first run on this machine; this can take several minutes)"
  local start=$SECONDS
  mkdir -p "$out"
  (cd "$ROOT/tools/$name" && go build -trimpath -ldflags "$ldflags" -o "$out/" "$@")
  touch "$out/.complete"
  log "built $name $version in $((SECONDS - start))s -> $out"
}

ensure_k8s() {
  local minor=${K8S_VERSION#1.}; minor=${minor%%.*}
  local ld="-s -w" p
  # Stamp the version, otherwise /version reports v0.0.0 and clients (helm, kubectl) misjudge skew.
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  # Caches from before the controllers were added lack them: build again (same key) when one is missing.
  local bin="$CACHE/k8s-$K8S_VERSION/bin" b
  for b in kube-apiserver kubectl kube-controller-manager kube-scheduler; do
    [ -x "$bin/$b" ] || rm -f "$bin/.complete"
  done
  build_go k8s "$K8S_VERSION" "$ld" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
}

# kwok plays the kubelet of a fake Node, so Pods become Running and Ready without containers. Its Stage
# files (the "fast" set that kwokctl uses by default) come from the same module zip, copied next to bin/.
ensure_kwok() {
  build_go kwok "$KWOK_VERSION" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v$KWOK_VERSION" \
    sigs.k8s.io/kwok/cmd/kwok
  local stages="$CACHE/kwok-$KWOK_VERSION/stages" src
  if [ -f "$stages/fast/kustomization.yaml" ]; then return 0; fi
  # (Downloaded first: the module cache may have been cleaned since the binary was built.)
  src=$(cd "$ROOT/tools/kwok" && go mod download sigs.k8s.io/kwok && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  src=$src/kustomize/stage
  rm -rf "$stages.tmp"
  cp -R "$src" "$stages.tmp" && chmod -R u+w "$stages.tmp" && mv "$stages.tmp" "$stages"
}

ensure_etcd() {
  build_go etcd "$ETCD_VERSION" "-s -w" go.etcd.io/etcd/server/v3
  # The package is named "server"; give the binary its usual name.
  local bin="$CACHE/etcd-$ETCD_VERSION/bin"
  if [ -f "$bin/server" ] && [ ! -e "$bin/etcd" ]; then mv "$bin/server" "$bin/etcd"; fi
}

# Helm is built as Kluctl embeds it, with nothing stamped: Kluctl links the Helm library unstamped, so
# its charts see .Capabilities.HelmVersion.Version "v4.2" (the source default), and ours must too
# (`helm version` thus prints v4.2; the cache dir names the exact release). Helm 4 has no k8s version
# variables either: its offline Capabilities.KubeVersion is v1.<minor>.0 of the k8s.io/client-go in the
# build info (v0.36.x gives v1.36.0), the rule Kluctl's offline render follows too, so both agree as long
# as tools/helm/go.mod keeps the client-go minor of Kluctl's go.mod.
ensure_helm() { build_go helm "$HELM_VERSION" "-s -w" helm.sh/helm/v4/cmd/helm; }

ensure_kustomize() { build_go kustomize "$KUSTOMIZE_VERSION" "-s -w" sigs.k8s.io/kustomize/kustomize/v5; }

# The CNCF Distribution registry: the OCI registry the Helm OCI tests push charts to.
ensure_registry() { build_go registry "$REGISTRY_VERSION" "-s -w" github.com/distribution/distribution/v3/cmd/registry; }

# sops decrypts SOPS-encrypted project files; age-keygen makes the age key pairs of the tests.
ensure_sops() { build_go sops "$SOPS_VERSION" "-s -w" github.com/getsops/sops/v3/cmd/sops filippo.io/age/cmd/age-keygen; }

# LocalStack 4.14.0 needs Python 3.13 (it imports warnings.deprecated and uses 3.13-only syntax,
# although its metadata says >=3.10). Use $PYTHON, python3.13 on PATH, or a pyenv installation.
find_python313() {
  local c
  for c in "${PYTHON:-}" python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13 /usr/bin/python3.13 python3; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    if "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 13) else 1)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

ensure_localstack() {
  local dir="$CACHE/localstack-$LOCALSTACK_VERSION-py3.13"
  if [ -f "$dir/.complete" ]; then return 0; fi
  local py
  py=$(find_python313) || { log "LocalStack $LOCALSTACK_VERSION needs Python >= 3.13; set PYTHON to one"; exit 1; }
  log "installing LocalStack $LOCALSTACK_VERSION with $py into a virtualenv (first run on this machine)"
  local start=$SECONDS
  rm -rf "$dir"
  "$py" -m venv "$dir"
  # The constraints are LocalStack's own runtime pin set of its v4.14.0 tag (newer cbor2, twisted and
  # pyOpenSSL releases break its start-up).
  "$dir/bin/pip" install --quiet --disable-pip-version-check \
    "localstack-core[runtime]==$LOCALSTACK_VERSION" -c "$ROOT/tools/localstack/constraints.txt"
  touch "$dir/.complete"
  log "installed LocalStack in $((SECONDS - start))s -> $dir"
}

# Python Jinja2, the reference the templating conformance suite and benchmark compare against. Any
# Python >= 3.8 will do; the extra packages are the ones Kluctl's filters use (to_yaml, slugify).
ensure_jinja2() {
  local dir="$CACHE/jinja2-$JINJA2_VERSION"
  if [ -f "$dir/.complete" ]; then return 0; fi
  log "installing Jinja2 $JINJA2_VERSION into a virtualenv (first run on this machine)"
  rm -rf "$dir"
  "${PYTHON:-python3}" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/tools/jinja2/requirements.txt" \
    "Jinja2==$JINJA2_VERSION"
  touch "$dir/.complete"
  log "installed Jinja2 -> $dir"
}

# OpenSSH's sshd for the SSH Git tests: Debian's package (and libwrap0, which sshd links) is downloaded
# with apt and unpacked into the cache, never installed, so no system service is set up. A wrapper
# runs it with its library path; sshd re-executes itself, hence the absolute path. The version is
# kept without Debian's epoch (`1:`): a colon would split LD_LIBRARY_PATH.
ensure_openssh() {
  local dir="$CACHE/openssh-$OPENSSH_VERSION"
  # sshd run as root drops privileges to this user, which the package's install script would create.
  if [ "$(id -u)" = 0 ] && ! getent passwd sshd >/dev/null; then
    useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd
  fi
  if [ -f "$dir/bin/.complete" ]; then return 0; fi
  command -v apt-get >/dev/null || { log "openssh: apt-get is needed to fetch Debian's openssh-server"; return 1; }
  log "unpacking openssh-server 1:$OPENSSH_VERSION (first run on this machine)"
  rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root" "$dir/bin"
  if ! (cd "$dir/debs" && apt-get download "openssh-server=1:$OPENSSH_VERSION" libwrap0 2>/dev/null); then
    apt-get update -qq && (cd "$dir/debs" && apt-get download "openssh-server=1:$OPENSSH_VERSION" libwrap0)
  fi
  local deb; for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done
  cat >"$dir/bin/sshd" <<SH
#!/bin/sh
LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu:$dir/root/lib/x86_64-linux-gnu" exec "$dir/root/usr/sbin/sshd" "\$@"
SH
  chmod +x "$dir/bin/sshd"
  "$dir/bin/sshd" -V 2>&1 | head -1 >&2
  touch "$dir/bin/.complete"
  log "unpacked openssh -> $dir"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(etcd kustomize helm sops registry k8s kwok localstack jinja2 openssh)
for t in "${tools[@]}"; do
  case $t in
    k8s|etcd|kwok|helm|kustomize|sops|registry|localstack|jinja2|openssh) "ensure_$t" ;;
    *) log "unknown tool '$t' (known: k8s etcd kwok helm kustomize sops registry localstack jinja2 openssh)"; exit 2 ;;
  esac
done
