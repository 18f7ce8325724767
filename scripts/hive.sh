#!/usr/bin/env bash
# The one entry point behind the README's commands (`npm start`, `npm test`) and the root scripts.
# It needs only Node.js 20 and npm: pnpm is installed into ./.tools at the exact version that
# package.json's `packageManager` names, dependencies are installed only when the lockfile or a
# manifest changed, and turbo skips every task whose inputs did not change.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export TURBO_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1
# pnpm does not pass npm's nodedir on to node-gyp; without it, better-sqlite3's build tries to
# download Node's headers. Point it at the system headers only where they exist.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

log() { printf '[hivedb] %s\n' "$*" >&2; }

ensure_pnpm() {
  local want have tools="$ROOT/.tools"
  want="$(node -p "require('./package.json').packageManager.split('@')[1]")"
  have=""
  if [ -x "$tools/node_modules/.bin/pnpm" ]; then
    have="$("$tools/node_modules/.bin/pnpm" --version 2>/dev/null || true)"
  fi
  if [ "$have" != "$want" ]; then
    log "installing pnpm@$want into .tools/"
    mkdir -p "$tools"
    [ -f "$tools/package.json" ] || echo '{"private":true}' > "$tools/package.json"
    npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "pnpm@$want" >&2
  fi
  export PATH="$tools/node_modules/.bin:$ROOT/node_modules/.bin:$PATH"
}

# A stamp of every manifest and the lockfile: when it matches, the install is current.
install_stamp() {
  { cat pnpm-lock.yaml pnpm-workspace.yaml package.json; cat packages/*/package.json bench/package.json 2>/dev/null; } \
    | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(require('node:crypto').createHash('sha256').update(s).digest('hex')))"
}

ensure_deps() {
  local stamp_file="$ROOT/node_modules/.hivedb-install-stamp" want
  want="$(install_stamp)"
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ]; then
    return 0
  fi
  log "installing dependencies (pnpm install --frozen-lockfile)"
  pnpm install --frozen-lockfile --reporter=append-only >&2
  install_stamp > "$stamp_file"
}

setup() {
  ensure_pnpm
  ensure_deps
}

# @hivedb/cli's tests open the HTML report in headless Chromium (playwright-core drives Debian's
# `chromium`; it never downloads a browser). On a machine without it, install it when we can
# (root with apt-get, as on these machines); otherwise say so: that one test will fail.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian's chromium for the CLI's browser test (apt-get, once)"
    if (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium) \
      >/tmp/hivedb-chromium-install.log 2>&1 && [ -x /usr/bin/chromium ]; then
      return 0
    fi
    log "could not install chromium (see /tmp/hivedb-chromium-install.log): the CLI's browser test will fail"
  else
    log "no /usr/bin/chromium: install Debian's chromium (apt-get install chromium) for the CLI's browser test"
  fi
}

# @hivedb/postgres's tests start throwaway servers with Debian's postgresql-15 (initdb, pg_ctl).
# Installed like chromium: by apt-get when root, else a note saying how.
ensure_postgres() {
  [ -x /usr/lib/postgresql/15/bin/postgres ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian's postgresql-15 for the PostgreSQL tests (apt-get, once)"
    if (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15) \
      >/tmp/hivedb-postgres-install.log 2>&1 && [ -x /usr/lib/postgresql/15/bin/postgres ]; then
      return 0
    fi
    log "could not install postgresql-15 (see /tmp/hivedb-postgres-install.log): the PostgreSQL tests will fail"
  else
    log "no /usr/lib/postgresql/15/bin/postgres: install Debian's postgresql-15 for the PostgreSQL tests"
  fi
}

cmd="${1:-test}"
shift || true
case "$cmd" in
  setup)
    setup
    ;;
  start)
    setup
    turbo run build --output-logs=errors-only >&2
    # The main job: the `hivedb demo` swarm (agent processes sharing ./.hive-mind/memory.db, the
    # monitor attached, lost updates and integrity checked, the HTML report written). Arguments
    # after `npm start --` go to the demo (`--agents 8 --duration 10s --root DIR`).
    node packages/cli/dist/bin.js demo "$@"
    ;;
  test)
    setup
    ensure_chromium
    ensure_postgres
    rm -f packages/*/test-results/vitest.json bench/test-results/vitest.json
    status=0
    ci_flags=()
    if [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; then
      # CI reads the log afterwards: one block per task instead of interleaved lines, and every
      # package's tests run even when another package's fail, so one run shows every failure.
      ci_flags=(--log-order=grouped --continue=dependencies-successful)
    fi
    turbo run build lint typecheck lint:layers lint:root --output-logs=new-only \
      ${ci_flags[@]+"${ci_flags[@]}"} "$@" || status=$?
    # One package's tests at a time: several packages test real timing (event-loop delay while
    # a query is offloaded, timeouts that must fire within bounds, crash loops, a browser), and
    # on a 2-core machine two such suites side by side starve each other of CPU.
    turbo run test --concurrency=1 --output-logs=new-only \
      ${ci_flags[@]+"${ci_flags[@]}"} "$@" || status=$?
    node scripts/test-summary.mjs || true
    exit "$status"
    ;;
  build|lint|typecheck)
    setup
    turbo run "$cmd" "$@"
    ;;
  bench)
    setup
    # turbo.json's bench task: never cached; its ^build builds only the packages the bench imports.
    turbo run bench --filter=@hivedb/bench --output-logs=new-only --log-prefix=none -- "$@"
    ;;
  packaging)
    setup
    turbo run build --output-logs=errors-only >&2
    node scripts/check-packaging.mjs "$@"
    ;;
  *)
    log "unknown command: $cmd (setup | start | test | build | lint | typecheck | bench | packaging)"
    exit 2
    ;;
esac
