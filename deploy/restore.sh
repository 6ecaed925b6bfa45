#!/usr/bin/env bash
# Restore what deploy/backup.sh wrote (docs/operations.md, "Backup and restore").
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: deploy/restore.sh [--database URL] [--chroma-dir DIR] [--sqlite FILE] BACKUP_DIR

Restores from BACKUP_DIR, one part per option given. Stop the app processes first.
  --database URL    pg_restore BACKUP_DIR/drafter.dump into that PostgreSQL database, which must
                    exist and be empty (createdb --owner drafter drafter), as its owner or a
                    superuser; in one transaction, so a failure restores nothing.
  --chroma-dir DIR  unpack BACKUP_DIR/chroma.tar into DIR (the Chroma server's --path), which
                    must be missing or empty; the server stopped. Start it after.
  --sqlite FILE     copy BACKUP_DIR/drafter.db to FILE, which must not exist (nor FILE-wal).

Environment: PG_BINDIR, the folder of pg_restore (default: found on PATH).
Exit codes: 0 done, 1 a step failed, 2 bad usage.
USAGE
}

# shellcheck source=deploy/options.sh
. "$(dirname "$0")/options.sh"
parse_options restore.sh "$@"
from="$folder"

backup() {  # BACKUP_DIR/NAME, which must be there
    [[ -f "$from/$1" ]] || { echo "restore.sh: no $from/$1" >&2; exit 1; }
    echo "$from/$1"
}

if [[ -n "$database" ]]; then
    dump=$(backup drafter.dump)
    "${PG_BINDIR:+$PG_BINDIR/}pg_restore" --single-transaction --exit-on-error \
        --dbname="$(libpq_url "$database")" "$dump"
    echo "database: restored from $dump"
fi

if [[ -n "$chroma_dir" ]]; then
    archive=$(backup chroma.tar)
    if [[ -d "$chroma_dir" && -n "$(ls -A "$chroma_dir")" ]]; then
        echo "restore.sh: $chroma_dir is not empty; move it aside first" >&2
        exit 1
    fi
    mkdir -p "$chroma_dir"
    tar -C "$chroma_dir" -xf "$archive"
    echo "chroma: restored into $chroma_dir"
fi

if [[ -n "$sqlite_file" ]]; then
    copy=$(backup drafter.db)
    for existing in "$sqlite_file" "$sqlite_file-wal"; do
        if [[ -e "$existing" ]]; then
            echo "restore.sh: $existing exists; move it aside first" >&2
            exit 1
        fi
    done
    rm -f "$sqlite_file-shm"
    cp "$copy" "$sqlite_file"
    echo "sqlite: restored into $sqlite_file"
fi
