-- dagport's triggers and functions on Postgres as they are now: what a database migrated to head
-- reports (pg_get_functiondef, pg_get_triggerdef), laid out for reading (whitespace only).
-- Migrations 0003 to 0007 (app/db/migrations/versions/) create and replace them; this file is
-- for reading, dagport never executes it.
--
-- tests/test_schema_snapshot.py checks it against a freshly migrated database. After changing a
-- trigger or function in a migration, regenerate both tests/data/schema/*.sql with:
--     .venv/bin/python -m tests.schema_snapshot

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
