"""The SQL dagport keeps in its database beside the tables, as it is now: every trigger and function.

Migrations 0003 to 0007 (app/db/migrations/versions/) create, drop and re-create them; no migration
shows what is current. This module does, per database: what a database migrated to head reports
(Postgres: ``pg_get_functiondef`` and ``pg_get_triggerdef``; SQLite: ``sqlite_master``), laid out
for reading. dagport never executes it. tests/test_schema_sql.py migrates a new database of each
kind and checks that it reports exactly these definitions (runs of whitespace outside quotes
aside). A migration that changes a trigger or function changes this module too: rewrite it with
``.venv/bin/python -m tests.schema_snapshot`` and review the diff.

What they keep, in the same transaction as the change to ``dag_run`` that fires them, whoever
makes it (the API, an operator's SQL):

- ``dag_run_latest_*`` (0003 to 0006): each DAG's latest-run pointer on its ``dag`` row
  (``latest_run_id``, ``latest_execution_date``, ``latest_start_date``), which latest_runs reads
  instead of finding each DAG's newest run (docs/performance.md, "The latest-run pointer" has what
  it costs the writes and saves latest_runs). On Postgres the insert and delete triggers run once
  per statement, with transition tables; SQLite has only row triggers.
- ``dagport_iso_text`` (Postgres, 0005): ``app.db.models.iso_text``'s expression declared
  IMMUTABLE, for the generated ``latest_*_iso`` columns.
- ``dag_run_stamp_*`` (0007): each DAG's runs stamp in ``dag_run_stamp``, the version under which
  the listing cache keeps run listings and latest_runs (app/listing_cache.py).
"""

from __future__ import annotations

POSTGRESQL = """\
-- Trigger dag_run_latest_delete on dag_run (its function first)
CREATE OR REPLACE FUNCTION public.dag_run_latest_delete()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) =
        (SELECT r.id, r.execution_date, r.start_date FROM dag_run r WHERE r.dag_id = dag.dag_id
         ORDER BY r.execution_date DESC LIMIT 1)
    WHERE (dag.dag_id, dag.latest_run_id) IN (SELECT d.dag_id, d.id FROM deleted_runs d);
    RETURN NULL;
END
$function$;

CREATE TRIGGER dag_run_latest_delete AFTER DELETE ON dag_run
    REFERENCING OLD TABLE AS deleted_runs
    FOR EACH STATEMENT
    EXECUTE FUNCTION dag_run_latest_delete();

-- Trigger dag_run_latest_insert on dag_run (its function first)
CREATE OR REPLACE FUNCTION public.dag_run_latest_insert()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) = (n.id, n.execution_date, n.start_date)
    FROM (SELECT DISTINCT ON (i.dag_id) i.dag_id, i.id, i.execution_date, i.start_date FROM inserted_runs i
          ORDER BY i.dag_id, i.execution_date DESC) n
    WHERE dag.dag_id = n.dag_id AND (dag.latest_execution_date IS NULL OR dag.latest_execution_date < n.execution_date);
    RETURN NULL;
END
$function$;

CREATE TRIGGER dag_run_latest_insert AFTER INSERT ON dag_run
    REFERENCING NEW TABLE AS inserted_runs
    FOR EACH STATEMENT
    EXECUTE FUNCTION dag_run_latest_insert();

-- Trigger dag_run_latest_redate on dag_run (its function first)
CREATE OR REPLACE FUNCTION public.dag_run_latest_redate()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) =
        (SELECT r.id, r.execution_date, r.start_date FROM dag_run r WHERE r.dag_id = dag.dag_id
         ORDER BY r.execution_date DESC LIMIT 1)
    WHERE dag_id IN (OLD.dag_id, NEW.dag_id);
    RETURN NULL;
END
$function$;

CREATE TRIGGER dag_run_latest_redate AFTER UPDATE OF execution_date, dag_id ON dag_run
    FOR EACH ROW
    WHEN (old.execution_date IS DISTINCT FROM new.execution_date OR old.dag_id::text IS DISTINCT FROM new.dag_id::text)
    EXECUTE FUNCTION dag_run_latest_redate();

-- Trigger dag_run_latest_start on dag_run (its function first)
CREATE OR REPLACE FUNCTION public.dag_run_latest_start()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE dag SET latest_start_date = NEW.start_date WHERE dag_id = NEW.dag_id AND latest_run_id = NEW.id;
    RETURN NULL;
END
$function$;

CREATE TRIGGER dag_run_latest_start AFTER UPDATE OF start_date ON dag_run
    FOR EACH ROW
    WHEN (old.start_date IS DISTINCT FROM new.start_date)
    EXECUTE FUNCTION dag_run_latest_start();

-- Trigger dag_run_stamp_delete on dag_run (its function first)
CREATE OR REPLACE FUNCTION public.dag_run_stamp_delete()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO dag_run_stamp (dag_id, stamp)
    SELECT c.dag_id, nextval('dag_run_stamp_seq') FROM (SELECT DISTINCT dag_id FROM old_runs) c WHERE true ORDER BY c.dag_id
    ON CONFLICT (dag_id) DO UPDATE SET stamp = nextval('dag_run_stamp_seq');
    RETURN NULL;
END
$function$;

CREATE TRIGGER dag_run_stamp_delete AFTER DELETE ON dag_run
    REFERENCING OLD TABLE AS old_runs
    FOR EACH STATEMENT
    EXECUTE FUNCTION dag_run_stamp_delete();

-- Trigger dag_run_stamp_insert on dag_run (its function first)
CREATE OR REPLACE FUNCTION public.dag_run_stamp_insert()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO dag_run_stamp (dag_id, stamp)
    SELECT c.dag_id, nextval('dag_run_stamp_seq') FROM (SELECT DISTINCT dag_id FROM new_runs) c WHERE true ORDER BY c.dag_id
    ON CONFLICT (dag_id) DO UPDATE SET stamp = nextval('dag_run_stamp_seq');
    RETURN NULL;
END
$function$;

CREATE TRIGGER dag_run_stamp_insert AFTER INSERT ON dag_run
    REFERENCING NEW TABLE AS new_runs
    FOR EACH STATEMENT
    EXECUTE FUNCTION dag_run_stamp_insert();

-- Trigger dag_run_stamp_truncate on dag_run (its function first)
CREATE OR REPLACE FUNCTION public.dag_run_stamp_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE dag_run_stamp SET stamp = nextval('dag_run_stamp_seq');
    RETURN NULL;
END
$function$;

CREATE TRIGGER dag_run_stamp_truncate AFTER TRUNCATE ON dag_run
    FOR EACH STATEMENT
    EXECUTE FUNCTION dag_run_stamp_truncate();

-- Trigger dag_run_stamp_update on dag_run (its function first)
CREATE OR REPLACE FUNCTION public.dag_run_stamp_update()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO dag_run_stamp (dag_id, stamp)
    SELECT c.dag_id, nextval('dag_run_stamp_seq') FROM (SELECT dag_id FROM old_runs UNION SELECT dag_id FROM new_runs) c WHERE true ORDER BY c.dag_id
    ON CONFLICT (dag_id) DO UPDATE SET stamp = nextval('dag_run_stamp_seq');
    RETURN NULL;
END
$function$;

CREATE TRIGGER dag_run_stamp_update AFTER UPDATE ON dag_run
    REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs
    FOR EACH STATEMENT
    EXECUTE FUNCTION dag_run_stamp_update();

-- Function dagport_iso_text, used by dag.latest_execution_date_iso, dag.latest_start_date_iso
CREATE OR REPLACE FUNCTION public.dagport_iso_text(value timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
AS $function$
SELECT coalesce(
    replace(to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), '.000000+', '+'),
    CASE value WHEN '-infinity' THEN '0001-01-01T00:00:00+00:00'
               WHEN 'infinity' THEN '9999-12-31T23:59:59.999999+00:00' END
)
$function$;
"""

SQLITE = """\
-- Trigger dag_run_latest_delete on dag_run
CREATE TRIGGER dag_run_latest_delete AFTER DELETE ON dag_run
    FOR EACH ROW
BEGIN
    UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) =
        (SELECT r.id, r.execution_date, r.start_date FROM dag_run r WHERE r.dag_id = dag.dag_id
         ORDER BY r.execution_date DESC LIMIT 1)
    WHERE dag_id = OLD.dag_id AND latest_run_id = OLD.id;
END;

-- Trigger dag_run_latest_insert on dag_run
CREATE TRIGGER dag_run_latest_insert AFTER INSERT ON dag_run
    FOR EACH ROW
BEGIN
    UPDATE dag SET latest_run_id = NEW.id, latest_execution_date = NEW.execution_date,
                   latest_start_date = NEW.start_date
    WHERE dag_id = NEW.dag_id AND (latest_execution_date IS NULL OR latest_execution_date < NEW.execution_date);
END;

-- Trigger dag_run_latest_redate on dag_run
CREATE TRIGGER dag_run_latest_redate AFTER UPDATE OF execution_date, dag_id ON dag_run
    FOR EACH ROW
    WHEN (OLD.execution_date IS NOT NEW.execution_date OR OLD.dag_id IS NOT NEW.dag_id)
BEGIN
    UPDATE dag SET (latest_run_id, latest_execution_date, latest_start_date) =
        (SELECT r.id, r.execution_date, r.start_date FROM dag_run r WHERE r.dag_id = dag.dag_id
         ORDER BY r.execution_date DESC LIMIT 1)
    WHERE dag_id IN (OLD.dag_id, NEW.dag_id);
END;

-- Trigger dag_run_latest_start on dag_run
CREATE TRIGGER dag_run_latest_start AFTER UPDATE OF start_date ON dag_run
    FOR EACH ROW
    WHEN (OLD.start_date IS NOT NEW.start_date)
BEGIN
    UPDATE dag SET latest_start_date = NEW.start_date WHERE dag_id = NEW.dag_id AND latest_run_id = NEW.id;
END;

-- Trigger dag_run_stamp_delete on dag_run
CREATE TRIGGER dag_run_stamp_delete AFTER DELETE ON dag_run
    FOR EACH ROW
BEGIN
    INSERT INTO dag_run_stamp (dag_id, stamp)
    SELECT c.dag_id, (SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp) FROM (SELECT OLD.dag_id AS dag_id) c WHERE true ORDER BY c.dag_id
    ON CONFLICT (dag_id) DO UPDATE SET stamp = (SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp);
END;

-- Trigger dag_run_stamp_insert on dag_run
CREATE TRIGGER dag_run_stamp_insert AFTER INSERT ON dag_run
    FOR EACH ROW
BEGIN
    INSERT INTO dag_run_stamp (dag_id, stamp)
    SELECT c.dag_id, (SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp) FROM (SELECT NEW.dag_id AS dag_id) c WHERE true ORDER BY c.dag_id
    ON CONFLICT (dag_id) DO UPDATE SET stamp = (SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp);
END;

-- Trigger dag_run_stamp_update on dag_run
CREATE TRIGGER dag_run_stamp_update AFTER UPDATE ON dag_run
    FOR EACH ROW
BEGIN
    INSERT INTO dag_run_stamp (dag_id, stamp)
    SELECT c.dag_id, (SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp) FROM (SELECT OLD.dag_id AS dag_id) c WHERE true ORDER BY c.dag_id
    ON CONFLICT (dag_id) DO UPDATE SET stamp = (SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp);
    INSERT INTO dag_run_stamp (dag_id, stamp)
    SELECT c.dag_id, (SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp) FROM (SELECT NEW.dag_id AS dag_id WHERE NEW.dag_id IS NOT OLD.dag_id) c WHERE true ORDER BY c.dag_id
    ON CONFLICT (dag_id) DO UPDATE SET stamp = (SELECT coalesce(max(stamp), 0) + 1 FROM dag_run_stamp);
END;
"""
