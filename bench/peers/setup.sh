#!/usr/bin/env bash
# Installs the peer brokers the benchmark compares bunmq with, from Debian's packages.
# Idempotent: does nothing when every binary is already there. `apt-get update` only runs when
# something is missing. The packages' own services are never started here: on Debian the
# postinst may start them, so they are stopped and disabled afterwards (the benchmark starts
# its own instances on 127.0.0.1 with data under a temp dir).
set -euo pipefail

declare -A bin_of=(
  [nats-server]=/usr/sbin/nats-server
  [rabbitmq-server]=/usr/sbin/rabbitmq-server
  [redis-server]=/usr/bin/redis-server
)

missing=()
for pkg in "${!bin_of[@]}"; do
  [[ -x "${bin_of[$pkg]}" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "peers: all installed"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

echo "peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' own services from starting at install time (no systemd in containers
# anyway, but invoke-rc.d honours policy-rc.d when it is there).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod +x "$policy"
  made_policy=1
fi
cleanup() { if ((made_policy)); then "${sudo_cmd[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
  [[ -x "${bin_of[$pkg]}" ]] || { echo "peers: $pkg installed but ${bin_of[$pkg]} is missing" >&2; exit 1; }
done
echo "peers: installed ${missing[*]}"
