# Shared by scripts/*: paths, versions and small helpers. Source it, don't run it.
# Everything here can be overridden from the environment.

GEOLEDGER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GEOLEDGER_ROOT

# Runtime data (broker logs, documents, pid files): git-ignored, inside the clone.
: "${GEOLEDGER_DATA_DIR:=$GEOLEDGER_ROOT/.data}"
# Downloads and builds shared by every clone on this machine, cached by version.
: "${GEOLEDGER_CACHE_DIR:=$HOME/.cache/geoledger}"
# One cargo target folder outside the clone, so CI on this machine reuses the build.
: "${CARGO_TARGET_DIR:=$GEOLEDGER_CACHE_DIR/target}"
export GEOLEDGER_DATA_DIR GEOLEDGER_CACHE_DIR CARGO_TARGET_DIR
# Incremental caches are per clone path and large; these scripts build whole.
: "${CARGO_INCREMENTAL:=0}"
export CARGO_INCREMENTAL

: "${GEOLEDGER_KAFKA_PORT:=9092}"
: "${GEOLEDGER_KAFKA_CONTROLLER_PORT:=9093}"
: "${GEOLEDGER_MONGO_PORT:=27017}"
export GEOLEDGER_KAFKA_PORT GEOLEDGER_KAFKA_CONTROLLER_PORT GEOLEDGER_MONGO_PORT

# Pinned tool versions (see ../shared/TOOLCHAIN.md for why each one).
KAFKA_VERSION=4.4.0
CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130
SECANTUS_VERSION=0.5.3-beta.196
# The broker's jars live in a folder named by the Kafka version and the pom that lists them.
KAFKA_HOME="$GEOLEDGER_CACHE_DIR/kafka-$KAFKA_VERSION-$(cksum <"$GEOLEDGER_ROOT/scripts/kafka/pom.xml" | cut -d' ' -f1)"

export PATH="$HOME/.cargo/bin:$GEOLEDGER_ROOT/end2end/node_modules/.bin:$PATH"

say() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_updated=
apt_install() { # apt_install PACKAGE... : installs the Debian packages that are missing
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq >&2; apt_updated=1; fi
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

# cargo_tool CRATE VERSION [cargo install flags...]: installs CRATE@VERSION into
# ~/.cargo/bin unless cargo already lists that exact version as installed.
cargo_tool() {
  local crate=$1 version=$2; shift 2
  cargo install --list 2>/dev/null | grep -qxF "$crate v$version:" && return 0
  say "cargo install $crate $version (a one-time build, several minutes)"
  cargo install "$crate" --version "$version" "$@" >&2
}

# Where cargo-leptos puts the built site (Cargo.toml: site-root, relative to the clone).
site_root() { echo "$GEOLEDGER_ROOT/target/site"; }

# The release build as it ships: each page's wasm in its own file (--split, the
# lazy routes in app/src/shell.rs), every file also stored gzip- and
# brotli-compressed beside itself (--precompress), and named by its content
# (hash-files in Cargo.toml). cargo-leptos gzips at a middle level; the bundle's
# .gz files are written again at the highest (13% smaller), for browsers
# without brotli.
build_release() {
  cargo leptos build --release --split --precompress >&2
  local f
  for f in "$(site_root)"/pkg/*.wasm "$(site_root)"/pkg/*.js; do gzip -9 -n -c "$f" >"$f.gz"; done
}

# CARGO_TARGET_DIR is shared by every clone on this machine, and so are the paths
# cargo copies the final binary and wasm to (debug/geoledger, …/app.wasm). When
# another clone built last, cargo here may find its own build fresh and leave the
# other clone's files in place: make it rebuild the two crates that end there.
claim_target_dir() {
  local marker="$CARGO_TARGET_DIR/.geoledger-clone"
  mkdir -p "$CARGO_TARGET_DIR"
  if [ "$(cat "$marker" 2>/dev/null)" != "$GEOLEDGER_ROOT" ]; then
    touch "$GEOLEDGER_ROOT/app/src/lib.rs" "$GEOLEDGER_ROOT/server/src/main.rs"
    echo "$GEOLEDGER_ROOT" >"$marker"
  fi
}

# Kafka and MongoDB for tests and the inner loop: `services_up` starts them
# (scripts/services start) and remembers which were stopped before; call
# `services_down` on exit to stop only those, leaving running ones running.
services_were_running=()
services_up() {
  local status s
  status=$("$GEOLEDGER_ROOT/scripts/services" status 2>/dev/null || true)
  for s in kafka mongo; do
    grep -q "^$s *running" <<<"$status" && services_were_running+=("$s")
  done
  "$GEOLEDGER_ROOT/scripts/services" start
}
services_down() {
  local s
  for s in kafka mongo; do
    [[ " ${services_were_running[*]} " == *" $s "* ]] || "$GEOLEDGER_ROOT/scripts/services" stop "$s" || true
  done
}

# Where the integration tests (server/tests/common) find the services; each
# test makes its own topics (by prefix) and database on them.
test_env() {
  export GEOLEDGER_TEST_KAFKA_BROKERS="127.0.0.1:$GEOLEDGER_KAFKA_PORT"
  export GEOLEDGER_TEST_KAFKA_SASL_BROKERS="127.0.0.1:${GEOLEDGER_KAFKA_SASL_PORT:-9192}"
  export GEOLEDGER_TEST_KAFKA_TLS_BROKERS="127.0.0.1:${GEOLEDGER_KAFKA_TLS_PORT:-9292}"
  export GEOLEDGER_TEST_KAFKA_TLS_CA="$GEOLEDGER_DATA_DIR/kafka-tls/ca.pem"
  export GEOLEDGER_TEST_MONGODB_URI="mongodb://127.0.0.1:$GEOLEDGER_MONGO_PORT"
  # Kafka's own tools (the status pages' numbers are checked against kafka-consumer-groups).
  export GEOLEDGER_KAFKA_HOME="$KAFKA_HOME"
  # As cargo-leptos names the bundle: a binary built by `cargo test` loads the same wasm file.
  export LEPTOS_OUTPUT_NAME=geoledger
}

# `cargo test` arguments for one test as people name it: FILE::NAME (that test
# of server/tests/FILE.rs), FILE:: (every test of that file), or NAME (every
# test whose name holds NAME, in every test file).
one_test_args() {
  if [[ $1 == *::* ]]; then
    echo "--test ${1%%::*} -- ${1#*::}"
  else
    echo "--tests -- $1"
  fi
}

# The format and lint gates: rustfmt, and clippy with warnings as errors on the
# server and on the browser's code (the map and the live stream compile only
# for wasm with `hydrate`).
lint_gates() {
  cargo fmt --all --check
  cargo clippy --workspace --all-targets --locked -- -D warnings
  cargo clippy -p app --lib --target wasm32-unknown-unknown --features hydrate --locked -- -D warnings
}

# One closing line, "N passed, N failed", over the output of `cargo test`
# (`test result: ok. 12 passed; 0 failed; …`) and `node --test` (`# pass 12`).
tally() {
  awk '/^test result:/ { p += $4; f += $6 }
       /^# pass / { p += $3 } /^# fail / { f += $3 }
       END { printf "%d passed, %d failed\n", p, f }' "$1"
}
