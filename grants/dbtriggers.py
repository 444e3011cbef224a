"""The database's own guarantees, installed by migrations (0006 and later).

1. The data version (grants.models.DataVersion): a trigger on every data table advances it in the
   same transaction as the write, on PostgreSQL per statement and on SQLite per row. After every
   `migrate`, `ensure_data_version` installs it on any data table that lacks it: a new model's
   table, or (on SQLite, which rebuilds a table to alter it and so drops its triggers) an altered
   one. tests/test_cache.py checks that every table of the apps has it, except NO_DATA_VERSION.
2. On PostgreSQL only, a submitted statement is frozen below the application too: its lines may
   not be inserted, deleted, moved or changed (except their accounts' `actual` while the accounts
   are not approved), the statement's Boks 1, Boks 2 and grant may not change, it may not be
   deleted, and the form rows and the grant year texts it was submitted on may not change.
   Together with migration 0004's balance check at commit, a submitted statement changes only by
   being reopened. (SQLite, the demo's database, relies on grants.services.)
"""

import time

# Tables whose writes do not change what any page shows from the data.
NO_DATA_VERSION = {"grants_dataversion", "grants_membership"}

BUMP = "UPDATE grants_dataversion SET value = value + 1 WHERE id = 1"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION grants_bump_data_version() RETURNS trigger AS $$
BEGIN
    {BUMP};
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""


def first_value() -> int:
    """A fresh data version starts from the clock (microseconds), never from 1: keys cached under
    the values of a database that was dropped and created again are never reused."""
    return time.time_ns() // 1000


def install_data_version(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute(
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION grants_bump_data_version()"
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {table}_data_version_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def data_tables() -> list[str]:
    from django.apps import apps

    tables = {
        model._meta.db_table
        for app in ("grants", "budgets")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }
    return sorted(tables - NO_DATA_VERSION)


def ensure_data_version(using: str = "default", **kwargs: object) -> None:
    """Install the data-version trigger on every data table that lacks it (post_migrate)."""
    from django.db import connections

    connection = connections[using]
    existing = connection.introspection.table_names()
    if "grants_dataversion" not in existing:
        return  # before migration 0006
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE '%%_data_version'"
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE '%_data_version_%'"
            )
        have = {name for (name,) in cursor.fetchall()}
    missing = [t for t in data_tables() if t in existing and t not in have]
    if missing:
        with connection.schema_editor() as editor:
            for table in missing:
                install_data_version(editor, table)
    install_username_version(connection)


# Pages show who submitted a statement or recorded a step by username: renaming a user is a
# change of what they show (other writes to auth_user, such as last_login, are not).
USERNAME_TRIGGER = "auth_user_username_data_version"


def install_username_version(connection) -> None:
    """The data version advances when a username changes (installed after every migrate)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            cursor.execute(f"DROP TRIGGER IF EXISTS {USERNAME_TRIGGER} ON auth_user")
            cursor.execute(
                f"CREATE TRIGGER {USERNAME_TRIGGER} AFTER UPDATE OF username ON auth_user "
                "FOR EACH STATEMENT EXECUTE FUNCTION grants_bump_data_version()"
            )
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {USERNAME_TRIGGER}")
            cursor.execute(
                f"CREATE TRIGGER {USERNAME_TRIGGER} AFTER UPDATE OF username ON auth_user "
                f"BEGIN {BUMP}; END"
            )


def remove_data_version(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    else:
        for event in ("insert", "update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_data_version_{event}")


FROZEN = r"""
CREATE OR REPLACE FUNCTION grants_frozen(message text) RETURNS void AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = '23514', CONSTRAINT = 'statement_submitted_frozen';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION grants_guard_line() RETURNS trigger AS $$
DECLARE
    old_status text;
    old_accounts text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM grants_statement WHERE id = OLD.statement_id
                   AND status = 'submitted') THEN
            PERFORM grants_frozen(format(
                'allocation line %s belongs to submitted statement %s, which is frozen',
                OLD.id, OLD.statement_id));
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT status, accounts_status INTO old_status, old_accounts
          FROM grants_statement WHERE id = OLD.statement_id;
        IF old_status = 'submitted' THEN
            IF NEW.statement_id <> OLD.statement_id OR NEW.row_id <> OLD.row_id
               OR NEW.amount IS DISTINCT FROM OLD.amount
               OR NEW.specification <> OLD.specification THEN
                PERFORM grants_frozen(format(
                    'allocation line %s belongs to submitted statement %s, which is frozen',
                    OLD.id, OLD.statement_id));
            END IF;
            IF old_accounts = 'approved' AND NEW.actual IS DISTINCT FROM OLD.actual THEN
                PERFORM grants_frozen(format(
                    'the accounts of statement %s are approved, which freezes them',
                    OLD.statement_id));
            END IF;
        END IF;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.statement_id <> OLD.statement_id THEN
        IF EXISTS (SELECT 1 FROM grants_statement WHERE id = NEW.statement_id
                   AND status = 'submitted') THEN
            PERFORM grants_frozen(format(
                'statement %s is submitted: no line may be added to it', NEW.statement_id));
        END IF;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION grants_guard_statement() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'submitted' THEN
            PERFORM grants_frozen(format('statement %s is submitted: not to be deleted', OLD.id));
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'submitted' AND NEW.status = 'submitted'
       AND (NEW.box1 <> OLD.box1 OR NEW.box2_confirmed <> OLD.box2_confirmed
            OR NEW.grant_id <> OLD.grant_id) THEN
        PERFORM grants_frozen(format('statement %s is submitted, which freezes it', OLD.id));
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION grants_guard_grant() RETURNS trigger AS $$
BEGIN
    IF (NEW.municipality_id <> OLD.municipality_id OR NEW.grant_year_id <> OLD.grant_year_id)
       AND EXISTS (SELECT 1 FROM grants_statement WHERE grant_id = OLD.id
                   AND status = 'submitted') THEN
        PERFORM grants_frozen(format('grant %s has a submitted statement', OLD.id));
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION grants_guard_form_row() RETURNS trigger AS $$
DECLARE
    used boolean;
BEGIN
    SELECT EXISTS (SELECT 1 FROM grants_allocationline l
                     JOIN grants_statement s ON s.id = l.statement_id
                    WHERE l.row_id = OLD.id AND s.status = 'submitted') INTO used;
    IF TG_OP = 'DELETE' THEN
        IF used THEN
            PERFORM grants_frozen(format(
                'form row %s is part of a submitted statement, which freezes it', OLD.id));
        END IF;
        RETURN OLD;
    END IF;
    IF used AND (NEW.grant_year_id, NEW."table", NEW.position, NEW.code, NEW.label, NEW.kind)
        IS DISTINCT FROM (OLD.grant_year_id, OLD."table", OLD.position, OLD.code,
                          OLD.label, OLD.kind) THEN
        PERFORM grants_frozen(format(
            'form row %s is part of a submitted statement, which freezes it', OLD.id));
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION grants_guard_grant_year() RETURNS trigger AS $$
BEGIN
    IF (NEW.form_title, NEW.table1_title, NEW.table2_title, NEW.table1_note, NEW.table2_note,
        NEW.box1_title, NEW.box2_title, NEW.box2_text)
       IS DISTINCT FROM (OLD.form_title, OLD.table1_title, OLD.table2_title, OLD.table1_note,
                         OLD.table2_note, OLD.box1_title, OLD.box2_title, OLD.box2_text)
       AND EXISTS (SELECT 1 FROM grants_grant g JOIN grants_statement s ON s.grant_id = g.id
                    WHERE g.grant_year_id = OLD.id AND s.status = 'submitted') THEN
        PERFORM grants_frozen(format(
            'grant year %s has submitted statements, which freeze its form', OLD.id));
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER allocationline_frozen BEFORE INSERT OR UPDATE OR DELETE ON grants_allocationline
    FOR EACH ROW EXECUTE FUNCTION grants_guard_line();
CREATE TRIGGER statement_frozen BEFORE UPDATE OR DELETE ON grants_statement
    FOR EACH ROW EXECUTE FUNCTION grants_guard_statement();
CREATE TRIGGER grant_frozen BEFORE UPDATE ON grants_grant
    FOR EACH ROW EXECUTE FUNCTION grants_guard_grant();
CREATE TRIGGER formrow_frozen BEFORE UPDATE OR DELETE ON grants_formrow
    FOR EACH ROW EXECUTE FUNCTION grants_guard_form_row();
CREATE TRIGGER grantyear_frozen BEFORE UPDATE ON grants_grantyear
    FOR EACH ROW EXECUTE FUNCTION grants_guard_grant_year();
"""

UNFREEZE = r"""
DROP TRIGGER IF EXISTS allocationline_frozen ON grants_allocationline;
DROP TRIGGER IF EXISTS statement_frozen ON grants_statement;
DROP TRIGGER IF EXISTS grant_frozen ON grants_grant;
DROP TRIGGER IF EXISTS formrow_frozen ON grants_formrow;
DROP TRIGGER IF EXISTS grantyear_frozen ON grants_grantyear;
DROP FUNCTION IF EXISTS grants_guard_line();
DROP FUNCTION IF EXISTS grants_guard_statement();
DROP FUNCTION IF EXISTS grants_guard_grant();
DROP FUNCTION IF EXISTS grants_guard_form_row();
DROP FUNCTION IF EXISTS grants_guard_grant_year();
DROP FUNCTION IF EXISTS grants_frozen(text);
"""
