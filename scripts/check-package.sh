#!/usr/bin/env bash
# scf-local as a user gets it before it is published: `npm pack`, the tarball installed into an empty project
# (dependencies' install scripts included: better-sqlite3 and fs-ext are built), then used from there:
# `npx scf-local serve`, deploy and invoke the example function with the installed CLI, read it back with the
# installed SDK examples (the official SDKs installed beside it, as the README says), and import the
# programmatic API. Slower than test/e2e/package.test.ts (which skips the native builds); run it before a
# release:
#
#   npm run build && scripts/check-package.sh
#
# Set npm_config_build_from_source=true to compile the native modules instead of downloading prebuilt ones.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/scf-local-check-package-XXXXXX")"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== npm pack"
tarball="$(cd "$repo" && npm pack --ignore-scripts --silent --pack-destination "$work")"
mkdir "$work/project"
cd "$work/project"
printf '{ "name": "user-project", "private": true, "type": "module" }\n' > package.json

echo "== npm install $tarball qcloudapi-sdk tencentcloud-sdk-nodejs"
npm install --no-audit --no-fund "$work/$tarball" qcloudapi-sdk tencentcloud-sdk-nodejs 2>&1 | tee "$work/install.log"
if grep -q EBADENGINE "$work/install.log"; then echo "FAIL: the install warns EBADENGINE" >&2; exit 1; fi

echo "== npx scf-local --help"
npx --no-install scf-local --help | tail -3
test -f node_modules/scf-local/docs/cli.md

echo "== import { createPlatform } from 'scf-local'"
node --input-type=module -e "import { createPlatform } from 'scf-local'; if (typeof createPlatform !== 'function') process.exit(1); console.log('createPlatform:', typeof createPlatform)"

echo "== scf-local serve (the installed bin, so that the stop signal reaches it and not npx)"
export SCF_LOCAL_DATA_DIR="$work/data"
node_modules/.bin/scf-local serve --port 0 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 1 300); do
  grep -q 'listening on' "$work/serve.out" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.out" "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
endpoint="$(sed -n 's/^scf-local listening on \(http[^ ]*\).*/\1/p' "$work/serve.out")"
test -n "$endpoint" || { echo "FAIL: serve did not start" >&2; cat "$work/serve.err" >&2; exit 1; }
export SCF_LOCAL_ENDPOINT="$endpoint"
echo "serving on $endpoint"

echo "== deploy, invoke (installed CLI), read back (installed SDK examples)"
npx --no-install scf-local deploy node_modules/scf-local/examples/testnode --name testnode
npx --no-install scf-local invoke testnode --data '{"Records":[{"CMQ":{"msgBody":"4"}}]}'
expect() { # expect <pattern> <command...>: runs the command, fails showing its output unless it matches
  local pattern="$1" out
  shift
  out="$("$@" 2>&1)" || { echo "FAIL: $* exited $?: $out" >&2; exit 1; }
  grep -q -- "$pattern" <<<"$out" || { echo "FAIL: $* printed no $pattern: $out" >&2; exit 1; }
}
expect '"codeDesc": "Success"' node node_modules/scf-local/examples/sdk-v2.cjs testnode
expect '"TotalCount": 1' node node_modules/scf-local/examples/sdk-v3.mjs testnode

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
[ "$status" = 0 ] || { echo "FAIL: serve exited $status on SIGTERM" >&2; cat "$work/serve.err" >&2; exit 1; }
grep -q 'POST 3.0 Invoke testnode -> 200' "$work/serve.err" || { echo "FAIL: no request line" >&2; cat "$work/serve.err" >&2; exit 1; }
echo "OK: the packed scf-local installs, serves, and its examples run"
