#!/usr/bin/env bash
# Copy the scripts, styles and fonts GX's Data Docs pages load from CDNs into the package
# (soepel_etl/quality/static/vendor/), from the same versions' npm distributions, with each
# package's licence. Run by hand when GX's templates change (docs/quality.md, "Offline Data Docs");
# nothing downloads these at run time. Needs `npm` (the npm registry).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=soepel_etl/quality/static/vendor
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# npm spec | folder under vendor/ | files to copy, relative to the package root (licence first)
specs=(
  "jquery@3.7.1|jquery-3.7.1|LICENSE.txt dist/jquery.min.js"
  "popper.js@1.12.9|popper.js-1.12.9|dist/umd/popper.min.js"
  "bootstrap@4.3.1|bootstrap-4.3.1|LICENSE dist/css/bootstrap.min.css dist/js/bootstrap.min.js"
  "bootstrap-table@1.19.1|bootstrap-table-1.19.1|LICENSE dist/bootstrap-table.min.css dist/bootstrap-table.min.js dist/extensions/filter-control/bootstrap-table-filter-control.css dist/extensions/filter-control/bootstrap-table-filter-control.min.css dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
  "bootstrap-datepicker@1.9.0|bootstrap-datepicker-1.9.0|LICENSE dist/css/bootstrap-datepicker.min.css dist/js/bootstrap-datepicker.min.js"
  "@forevolve/bootstrap-dark@1.1.0|bootstrap-dark-1.1.0|LICENSE dist/css/bootstrap-prefers-dark.min.css"
  "@fortawesome/fontawesome-free@6.6.0|fontawesome-free-6.6.0|LICENSE.txt css/all.min.css webfonts/fa-brands-400.woff2 webfonts/fa-regular-400.woff2 webfonts/fa-solid-900.woff2 webfonts/fa-v4compatibility.woff2"
  "vega@5.33.1|vega-5.33.1|build/vega.min.js"
  "vega-lite@5.23.0|vega-lite-5.23.0|LICENSE build/vega-lite.min.js"
  "vega-embed@6.29.0|vega-embed-6.29.0|LICENSE build/vega-embed.min.js"
)
rm -rf "$dest"
for entry in "${specs[@]}"; do
  IFS='|' read -r spec folder files <<<"$entry"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  tgz="$(ls -t "$tmp"/*.tgz | head -1)"
  mkdir -p "$tmp/x" && rm -rf "$tmp/x/package" && tar xzf "$tgz" -C "$tmp/x" && rm "$tgz"
  for f in $files; do
    install -D -m 0644 "$tmp/x/package/$f" "$dest/$folder/$f"
  done
  echo "$spec -> $dest/$folder"
done
# popper.js 1.12.9 and vega 5.33.1 ship no licence file: their texts are kept by hand in
# soepel_etl/quality/static/licenses/ (see THIRD_PARTY.md there)
