#!/usr/bin/env bash
# Back up Drafter's data (docs/operations.md, "Backup and restore"); deploy/restore.sh undoes it.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/backup.sh [--database URL] [--chroma-dir DIR] [--sqlite FILE] OUT_DIR

Writes into OUT_DIR (made if missing), one file per option given:
  drafter.dump  --database URL: pg_dump -Fc of the PostgreSQL workflow database; URL as in
                DRAFTER_DATABASE_URL (postgresql+psycopg://... or postgresql://...). Online.
  chroma.tar    --chroma-dir DIR: the Chroma server's --path folder, as tar. Stop the server
                first (systemctl stop drafter-chroma) and start it again after.
  drafter.db    --sqlite FILE: a SQLite workflow database, by SQLite's online backup (safe
                while Drafter runs).
A file is written as NAME.partial and renamed when complete; an existing one is refused.

Environment: PG_BINDIR, the folder of pg_dump (default: found on PATH); PYTHON (python3).
Exit codes: 0 done, 1 a step failed, 2 bad usage.
USAGE
}

# shellcheck source=deploy/options.sh
. "$(dirname "$0")/options.sh"
parse_options backup.sh "$@"
out="$folder"
mkdir -p "$out"

fresh() {  # the .partial path for OUT_DIR/NAME, refusing to overwrite a finished backup
    if [[ -e "$out/$1" ]]; then
        echo "backup.sh: $out/$1 exists; back up into another folder" >&2
        exit 1
    fi
    rm -f "$out/$1.partial"
    echo "$out/$1.partial"
}

if [[ -n "$database" ]]; then
    partial=$(fresh drafter.dump)
    "${PG_BINDIR:+$PG_BINDIR/}pg_dump" --format=custom --file="$partial" \
        --dbname="$(libpq_url "$database")"
    mv "$partial" "$out/drafter.dump"
    echo "database: $out/drafter.dump"
fi

if [[ -n "$chroma_dir" ]]; then
    if [[ ! -f "$chroma_dir/chroma.sqlite3" ]]; then
        echo "backup.sh: $chroma_dir holds no chroma.sqlite3: not a Chroma --path folder" >&2
        exit 1
    fi
    partial=$(fresh chroma.tar)
    tar -C "$chroma_dir" -cf "$partial" .
    mv "$partial" "$out/chroma.tar"
    echo "chroma: $out/chroma.tar"
fi

if [[ -n "$sqlite_file" ]]; then
    [[ -f "$sqlite_file" ]] || { echo "backup.sh: no SQLite file $sqlite_file" >&2; exit 1; }
    partial=$(fresh drafter.db)
    "${PYTHON:-python3}" - "$sqlite_file" "$partial" <<'PY'
import sqlite3, sys
source, target = (sqlite3.connect(p) for p in sys.argv[1:3])
with target:
    source.backup(target)
source.close()
target.close()
PY
    mv "$partial" "$out/drafter.db"
    echo "sqlite: $out/drafter.db"
fi
