#!/usr/bin/env bash
# The runtime roles, for the postgres image's first start (docker-entrypoint-initdb.d in Compose,
# the postgres-init ConfigMap in Kubernetes): it runs this before the *.sql migrations, whose
# 008_runtime_roles.sql grants these roles their rights. The image's POSTGRES_USER (`music`)
# owns the database and runs the migrations; the services log in as these two only. Passwords
# come from the environment (a Secret, or Compose's from the shell), never from this file.
# `npm start` ignores this file: infra/postgres-roles.ts makes the same roles locally.
set -e
: "${MUSIC_DB_WRITER_PASSWORD:?the music_writer role needs a password}"
: "${MUSIC_DB_READER_PASSWORD:?the music_reader role needs a password}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v writer_password="$MUSIC_DB_WRITER_PASSWORD" -v reader_password="$MUSIC_DB_READER_PASSWORD" <<'SQL'
CREATE ROLE music_writer LOGIN NOCREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'writer_password';
CREATE ROLE music_reader LOGIN NOCREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'reader_password';
SQL
