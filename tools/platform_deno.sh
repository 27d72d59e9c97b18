# Sourced by the platform suites (tools/wine_suite.sh, tools/arm64_suite.sh): what each needs
# before it runs, and Deno's own build for the platform it runs on. Expects `root` (the
# checkout) and `suite` (its name in messages) to be set.

# require_peers HINT WORD...: each WORD a command, or (with a /) a file, that must be there.
# Without them the suite skips, naming HINT (how to install them), or fails when
# SOCKHOP_REQUIRE_PEERS=1.
require_peers() {
  local hint=$1
  shift
  local missing=() need
  for need in "$@"; do
    if [[ $need == */* ]]; then
      [ -e "$need" ] || missing+=("$need")
    else
      command -v "$need" >/dev/null 2>&1 || missing+=("$need")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "${SOCKHOP_REQUIRE_PEERS:-}" = 1 ]; then
    echo "$suite: FAILED: missing ${missing[*]}" >&2
    exit 1
  fi
  echo "$suite: skipped: missing ${missing[*]} ($hint)" >&2
  exit 0
}

# platform_deno PACKAGE: the dir of Deno's own build for another platform (npm @deno/PACKAGE
# at the version of the deno running here), fetched once into .tmp/platforms.
platform_deno() {
  local pkg=$1 version cache
  version=$(deno eval 'console.log(Deno.version.deno)')
  cache="$root/.tmp/platforms"
  if [ ! -d "$cache/$pkg-$version" ]; then
    echo "$suite: fetching @deno/$pkg@$version" >&2
    mkdir -p "$cache"
    (
      cd "$cache"
      rm -rf package "$pkg-$version"
      npm pack --silent "@deno/$pkg@$version" >/dev/null
      tar xzf "deno-$pkg-$version.tgz"
      rm "deno-$pkg-$version.tgz"
      mv package "$pkg-$version"
    )
  fi
  echo "$cache/$pkg-$version"
}
