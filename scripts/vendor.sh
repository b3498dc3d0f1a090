#!/bin/sh
# Copy the front-end files we serve from node_modules into a folder (default static/vendor).
# The one list of vendored files: the Makefile's `vendor` target and the Dockerfile both use it.
#
# A copied file that names a source map (`sourceMappingURL=x.map`) gets that map copied beside
# it; if the package does not ship the map, the comment is stripped from the copy. Otherwise
# Django's manifest storage fails on the missing map and, in production, every page answers 500.
# Each file is written to a temporary name and renamed, so a running server never reads half a file.
set -eu
cd "$(dirname "$0")/.."
TARGET="${1:-static/vendor}"

# source (under node_modules) -> name in the target folder
FILES="
htmx.org/dist/htmx.min.js htmx.min.js
drawflow/dist/drawflow.min.js drawflow.min.js
drawflow/dist/drawflow.min.css drawflow.min.css
@dagrejs/dagre/dist/dagre.min.js dagre.min.js
@picocss/pico/css/pico.min.css pico.min.css
"

if [ ! -d node_modules ]; then
  echo "vendor.sh: node_modules is missing; run 'npm ci' first" >&2
  exit 1
fi
mkdir -p "$TARGET"

install_file() {  # install_file SOURCE DEST: copy atomically
  tmp="$2.tmp.$$"
  cp "$1" "$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$2"
}

echo "$FILES" | while read -r src name; do
  [ -n "$src" ] || continue
  path="node_modules/$src"
  if [ ! -f "$path" ]; then
    echo "vendor.sh: $path is missing; is package-lock.json installed (npm ci)?" >&2
    exit 1
  fi
  dest="$TARGET/$name"
  install_file "$path" "$dest"
  # Every source map the file refers to (JS `//# sourceMappingURL=` or CSS `/*# ... */`).
  for map in $(grep -o 'sourceMappingURL=[^[:space:]*"]*' "$dest" | sed 's/^sourceMappingURL=//' | sort -u); do
    case "$map" in
      data:*) continue ;;  # an inline map needs no file
    esac
    map_src="$(dirname "$path")/$map"
    map_name="$(basename "$map")"
    if [ "$map_name" = "$map" ] && [ -f "$map_src" ]; then
      install_file "$map_src" "$TARGET/$map_name"
    else
      # No map to ship (or one outside this folder): drop the reference rather than serve a dangling one.
      tmp="$dest.tmp.$$"
      sed -e "s|[/][/*]# sourceMappingURL=$map[[:space:]]*\(\*/\)\{0,1\}||" "$dest" > "$tmp"
      chmod 0644 "$tmp"
      mv -f "$tmp" "$dest"
      echo "vendor.sh: $name referred to $map, which the package does not ship; reference removed" >&2
    fi
  done
done
