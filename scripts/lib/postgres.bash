# Sourced by scripts/setup and scripts/test: where the tests' PostgreSQL comes from.

# The server the tests use when HOJOKIN_TEST_POSTGRES_URL is not set. For testing the scripts
# only, HOJOKIN_TEST_POSTGRES_PROBE=HOST:PORT is looked at instead (127.0.0.1:1 behaves as a
# machine with no PostgreSQL running).
pg_default_address=${HOJOKIN_TEST_POSTGRES_PROBE:-127.0.0.1:5432}
pg_default_url="postgres://postgres@${pg_default_address}/postgres"

# True when the default server lets the tests in with the default URL (psql), or at least
# answers there (pg_isready, or a TCP connection when no client is installed).
pg_default_answers() {
  local host=${pg_default_address%:*} port=${pg_default_address##*:}
  if command -v psql >/dev/null; then
    PGCONNECT_TIMEOUT=3 psql -w -X -q -A -t -d "$pg_default_url" -c 'select 1' >/dev/null 2>&1
  elif command -v pg_isready >/dev/null; then
    pg_isready -q -t 3 -h "$host" -p "$port"
  else
    timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
  fi
}

# The directory of initdb and pg_ctl: from PATH, else Debian's newest /usr/lib/postgresql/*/bin.
pg_bindir() {
  local initdb
  initdb=$(command -v initdb) \
    || initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [ -n "$initdb" ] && [ -x "$initdb" ] && dirname "$(readlink -f "$initdb")"
}
