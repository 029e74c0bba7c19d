-- dagport's triggers on SQLite (it has no stored functions) as they are now: what a database
-- migrated to head reports (sqlite_master), laid out for reading (whitespace only).
-- Migrations 0003 to 0007 (app/db/migrations/versions/) create and replace them; this file is
-- for reading, dagport never executes it.
--
-- tests/test_schema_snapshot.py checks it against a freshly migrated database. After changing a
-- trigger or function in a migration, regenerate both tests/data/schema/*.sql with:
--     .venv/bin/python -m tests.schema_snapshot

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
