#!/usr/bin/env bash
# Start the servers the tests need on this machine, installing them first on a fresh one.
# Prints the environment to export (`eval "$(bash tests/services.sh)"`); a missing server
# only makes its tests skip, with the reason printed here.
set -u
log() { echo "services: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  log "installing postgresql"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 \
    || log "could not install postgresql"
fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1}')
  cluster=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $2}')
  if [ -n "$version" ]; then
    pg_ctlcluster "$version" "$cluster" start >&2 2>/dev/null || true
    port=$(pg_lsclusters -h | awk 'NR==1 {print $3}')
    su postgres -c "psql -q -p $port -c \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='goodwill') THEN CREATE ROLE goodwill LOGIN SUPERUSER PASSWORD 'goodwill'; END IF; END\\\$\\\$;\"" >&2 \
      && echo "export GOODWILL_TEST_POSTGRES_URL=postgresql+psycopg://goodwill:goodwill@127.0.0.1:$port/postgres" \
      || log "postgresql did not start; its tests will skip"
  fi
else
  log "no postgresql here; its tests will skip"
fi
