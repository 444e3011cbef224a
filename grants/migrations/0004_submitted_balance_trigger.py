"""On PostgreSQL, a submitted statement that does not balance is impossible even through raw SQL:
a deferred constraint trigger checks, at commit, every submitted statement a transaction touched
(its lines, its status, its grant). The product's own rule is grants/rules.py; this is the
database's last word (as django-hordak does for its ledger). SQLite has no such trigger."""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION grants_check_submitted_balance() RETURNS trigger AS $$
DECLARE
    sid bigint;
    bad record;
BEGIN
    IF TG_TABLE_NAME = 'grants_allocationline' THEN
        IF TG_OP = 'DELETE' THEN sid := OLD.statement_id; ELSE sid := NEW.statement_id; END IF;
    ELSIF TG_TABLE_NAME = 'grants_statement' THEN
        sid := NEW.id;
    ELSE
        SELECT id INTO sid FROM grants_statement WHERE grant_id = NEW.id;
    END IF;
    IF sid IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT s.id AS statement_id, g.amount AS grant_amount, r."table" AS form_table,
           COALESCE(SUM(l.amount), 0) AS total
      INTO bad
      FROM grants_statement s
      JOIN grants_grant g ON g.id = s.grant_id
      JOIN grants_allocationline l ON l.statement_id = s.id
      JOIN grants_formrow r ON r.id = l.row_id
     WHERE s.id = sid AND s.status = 'submitted'
     GROUP BY s.id, g.amount, r."table"
    HAVING COALESCE(SUM(l.amount), 0) <> g.amount
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'submitted statement % does not balance: table % sums to %, the grant is %',
            bad.statement_id, bad.form_table, bad.total, bad.grant_amount
            USING ERRCODE = '23514', CONSTRAINT = 'statement_submitted_balances';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER allocationline_submitted_balances
    AFTER INSERT OR UPDATE OR DELETE ON grants_allocationline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION grants_check_submitted_balance();
CREATE CONSTRAINT TRIGGER statement_submitted_balances
    AFTER INSERT OR UPDATE ON grants_statement
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION grants_check_submitted_balance();
CREATE CONSTRAINT TRIGGER grant_submitted_balances
    AFTER UPDATE ON grants_grant
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION grants_check_submitted_balance();
"""

DROP = r"""
DROP TRIGGER IF EXISTS allocationline_submitted_balances ON grants_allocationline;
DROP TRIGGER IF EXISTS statement_submitted_balances ON grants_statement;
DROP TRIGGER IF EXISTS grant_submitted_balances ON grants_grant;
DROP FUNCTION IF EXISTS grants_check_submitted_balance();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("grants", "0003_initiative_labels")]

    operations = [migrations.RunPython(forwards, backwards)]
