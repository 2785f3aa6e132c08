#!/usr/bin/env bash
# Backup/restore drill: a backup restored into a fresh database passes the
# consistency check (statuses and roll-ups vs the ledger, certificate files vs their
# SHA-256, ledger invariants), with the same ledger totals and certificate
# fingerprint as the source; and the check fails when a certificate file is
# missing from the restored media.
#
#   ops/drills/backup_restore.sh            # databases helper_c_src, helper_c_restored
#   SRC_DB=a DST_DB=b KEEP=1 ops/drills/backup_restore.sh
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and pg_dump/pg_restore.
# The seed uses the development settings (seed_demo refuses to run with DEBUG off).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PY="${PY:-$ROOT/.venv/bin/python}"
PG="postgres://postgres@127.0.0.1:5432"
SRC_DB="${SRC_DB:-helper_c_src}"
DST_DB="${DST_DB:-helper_c_restored}"
WORK="$(mktemp -d /tmp/jcpx-backup-drill.XXXXXX)"
SRC_MEDIA="$WORK/media-src"
DST_MEDIA="$WORK/media-restored"
export DJANGO_SETTINGS_MODULE=cms.settings.dev
export LOG_LEVEL=WARNING
psql_admin() { psql -q -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
on() { # on DB MEDIA command...
  local db="$1" media="$2"; shift 2
  DATABASE_URL="$PG/$db" MEDIA_ROOT="$media" "$PY" manage.py "$@"
}
cleanup() {
  if [ -z "${KEEP:-}" ]; then
    psql_admin -c "DROP DATABASE IF EXISTS \"$SRC_DB\" WITH (FORCE)" \
      -c "DROP DATABASE IF EXISTS \"$DST_DB\" WITH (FORCE)" || true
    rm -rf "$WORK"
  else
    echo "kept: databases $SRC_DB, $DST_DB; files in $WORK"
  fi
}
trap cleanup EXIT
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "1. seed the source database $SRC_DB (seed_demo + activity)"
psql_admin -c "DROP DATABASE IF EXISTS \"$SRC_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$SRC_DB\""
on "$SRC_DB" "$SRC_MEDIA" migrate --noinput -v 0
on "$SRC_DB" "$SRC_MEDIA" seed_demo >/dev/null
# Activity after the seed: a correction (reversal), a new credit, a bulk recompute
# that issues the certificates people newly earned.
on "$SRC_DB" "$SRC_MEDIA" shell -c '
import datetime as dt
from decimal import Decimal
from training.models import LedgerEntry, Person
from training.services.ledger import ledger_entry_create, ledger_entry_reverse
entry = LedgerEntry.objects.filter(source="course", reversed_by__isnull=True).exclude(
    person__user__username="learner").order_by("pk").first()
ledger_entry_reverse(entry=entry, actor=None, reason="备份演练：冲销一条学时")
for person in Person.objects.order_by("pk")[:5]:
    ledger_entry_create(person=person, source="adjustment", title="备份演练补录",
        hours=Decimal("95"), occurred_on=dt.date(2026, 11, 20), reason="备份演练")
print("activity: 1 reversal, 5 adjustments")
'
on "$SRC_DB" "$SRC_MEDIA" recompute_compliance --today 2026-11-25 >/dev/null
on "$SRC_DB" "$SRC_MEDIA" db_worker --batch --interval 0 >/dev/null 2>&1 || true
on "$SRC_DB" "$SRC_MEDIA" consistency_check --json > "$WORK/src.json" || {
  cat "$WORK/src.json"; echo "FAIL: the source itself is inconsistent"; exit 1; }

step "2. back up: pg_dump -Fc and a media tarball"
pg_dump -h 127.0.0.1 -U postgres -Fc -f "$WORK/backup.dump" "$SRC_DB"
tar -C "$SRC_MEDIA" -czf "$WORK/media.tar.gz" .
ls -l "$WORK/backup.dump" "$WORK/media.tar.gz" | awk '{print $5, $9}'

step "3. restore into a fresh database $DST_DB and a new media directory"
psql_admin -c "DROP DATABASE IF EXISTS \"$DST_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$DST_DB\""
pg_restore -h 127.0.0.1 -U postgres --no-owner --exit-on-error -d "$DST_DB" "$WORK/backup.dump"
mkdir -p "$DST_MEDIA"
tar -C "$DST_MEDIA" -xzf "$WORK/media.tar.gz"

step "4. consistency check of the restored copy"
on "$DST_DB" "$DST_MEDIA" consistency_check
on "$DST_DB" "$DST_MEDIA" consistency_check --json > "$WORK/dst.json"
"$PY" - "$WORK/src.json" "$WORK/dst.json" <<'PYEOF'
import json, sys
src, dst = (json.load(open(p)) for p in sys.argv[1:3])
assert src["ok"] and dst["ok"], "a check failed"
assert src["totals"] == dst["totals"], (src["totals"], dst["totals"])
assert src["checked"] == dst["checked"], (src["checked"], dst["checked"])
print("restored == source:", json.dumps(dst["totals"], ensure_ascii=False))
print("checked:", json.dumps(dst["checked"]))
PYEOF

step "5. a certificate file missing from the media restore is caught"
victim="$(find "$DST_MEDIA/certificates" -name '*.pdf' | sort | head -1)"
rm "$victim"
echo "removed ${victim#"$DST_MEDIA"/}"
set +e
on "$DST_DB" "$DST_MEDIA" consistency_check --check certificates
code=$?
set -e
if [ "$code" != 1 ]; then echo "FAIL: expected exit 1, got $code"; exit 1; fi
echo "exit $code, as expected"

step "PASS"
