# What deploy/backup.sh and deploy/restore.sh share; each sources it after defining its usage().

# parse_options SCRIPT ARGS...: sets database, chroma_dir, sqlite_file and folder (the one
# positional argument); exits 0 after usage for --help, 2 on bad usage.
parse_options() {
    local script="$1"
    shift
    database="" chroma_dir="" sqlite_file="" folder=""
    while (($#)); do
        case "$1" in
            -h | --help) usage; exit 0 ;;
            --database) database="${2:?--database needs a URL}"; shift 2 ;;
            --chroma-dir) chroma_dir="${2:?--chroma-dir needs a folder}"; shift 2 ;;
            --sqlite) sqlite_file="${2:?--sqlite needs a file}"; shift 2 ;;
            -*) echo "$script: unknown option $1 (see --help)" >&2; exit 2 ;;
            *)
                [[ -z "$folder" ]] || { echo "$script: one folder only (see --help)" >&2; exit 2; }
                folder="$1"
                shift
                ;;
        esac
    done
    if [[ -z "$folder" || -z "$database$chroma_dir$sqlite_file" ]]; then
        echo "$script: give the folder and at least one of --database, --chroma-dir, --sqlite" >&2
        exit 2
    fi
}

# libpq_url URL: DRAFTER_DATABASE_URL's form (postgresql+psycopg://...) as pg_dump reads it.
libpq_url() {
    echo "${1/+psycopg:\/\//://}"
}
