#!/bin/sh
# Creates Temporal's two PostgreSQL databases (if missing) and updates their schemas to the
# versions shipped in this admin-tools image. Safe to run on every start and after upgrades.
set -eu
: "${POSTGRES_HOST:?}" "${POSTGRES_PORT:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_HOST" -p "$POSTGRES_PORT" \
    -u "$POSTGRES_USER" "$@"
}

for db in temporal:temporal temporal_visibility:visibility; do
  name=${db%%:*}
  schema=${db##*:}
  # `create` fails when the database exists; a real connection problem fails the next step.
  sql --db "$name" create || echo "database $name exists"
  sql --db "$name" setup-schema -v 0.0
  sql --db "$name" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo "temporal schemas are up to date"
