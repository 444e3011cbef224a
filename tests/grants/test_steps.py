"""After submission (issue 11): the council's approval, the sending to the ministry and the
publication, each recorded once by the municipality's finance staff, audited, in order, and
corrected only by reopening; a deadline per programme-year."""

import datetime

import pytest
from django.utils import timezone

from grants.models import AuditEvent, GrantYear, Statement, StatementStep
from grants.services import (
    NotSubmitted,
    StepAlreadyRecorded,
    StepOutOfOrder,
    record_step,
    reopen_statement,
)
from tests.conftest import audit_size, get_statement
from tests.grants.test_edit import submit

BASE = "/statements/183/vaerdighed/2016/"
TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def submitted_ishoj(client, ishoj):
    client.force_login(ishoj)
    submit(client, get_statement("183", 2016))
    return get_statement("183", 2016)


def test_each_step_is_recorded_in_order_audited_and_shown(client, ishoj, submitted_ishoj):
    page = client.get(BASE).content.decode()
    assert ">Registrér kommunalbestyrelsens godkendelse</a>" in page  # the primary action
    # The sending cannot come before the council's approval.
    response = client.post(BASE + "steps/sent/", {"date": "2026-11-20", "reference": "J 1"})
    assert response.status_code == 409
    assert "Først skal dette registreres: Godkendt af kommunalbestyrelsen." in (
        response.content.decode()
    )
    assert not StatementStep.objects.filter(statement=submitted_ishoj).exists()
    response = client.post(
        BASE + "steps/council_approval/",
        {"date": "2026-11-18", "body": "Byrådet", "reference": "Møde 18.11.2026, punkt 7"},
    )
    assert response.status_code == 302
    client.post(BASE + "steps/sent/", {"date": "2026-11-20", "reference": "2026-1234"})
    client.post(BASE + "steps/published/", {"date": "2026-11-25", "reference": "https://x.dk"})
    steps = {s.kind: s for s in submitted_ishoj.steps.all()}
    assert steps["council_approval"].body == "Byrådet" and steps["sent"].reference == "2026-1234"
    assert {s.recorded_by for s in steps.values()} == {ishoj}
    events = AuditEvent.objects.filter(statement=submitted_ishoj).order_by("id")
    assert [e.action for e in events][-3:] == ["council_approval", "sent", "published"]
    page = client.get(BASE).content.decode()
    assert "18. november 2026 · Byrådet · Møde 18.11.2026, punkt 7" in page
    assert "registreret af ishoj" in page
    history = client.get(BASE + "history/").content.decode()
    assert "Godkendt af kommunalbestyrelsen" in history and "18. november 2026" in history


def test_a_step_is_recorded_once_and_corrected_only_by_reopening(
    client, ishoj, administrator, submitted_ishoj
):
    record_step(
        statement=submitted_ishoj,
        kind="council_approval",
        date=TODAY,
        body="Byrådet",
        acting_user=ishoj,
    )
    record_step(statement=submitted_ishoj, kind="sent", date=TODAY, acting_user=ishoj)
    before = audit_size()
    with pytest.raises(StepAlreadyRecorded):
        record_step(statement=submitted_ishoj, kind="sent", date=TODAY, acting_user=ishoj)
    assert audit_size() == before
    # Finance staff may not reopen a step; an administrator may, with a reason, and the steps
    # after it go with it.
    response = client.post(BASE + "steps/council_approval/reopen/", {"reason": "Forkert dato"})
    assert response.status_code == 403
    client.force_login(administrator)
    client.post(BASE + "steps/council_approval/reopen/", {"reason": "Forkert dato"})
    assert not submitted_ishoj.steps.exists()
    event = AuditEvent.objects.filter(statement=submitted_ishoj).first()
    assert (event.action, event.reason) == ("step_reopen", "Forkert dato")


def test_reopening_the_statement_takes_back_its_steps(ishoj, administrator, submitted_ishoj):
    record_step(
        statement=submitted_ishoj,
        kind="council_approval",
        date=TODAY,
        body="Byrådet",
        acting_user=ishoj,
    )
    reopen_statement(statement=submitted_ishoj, acting_user=administrator, reason="Ret tal")
    assert get_statement("183", 2016).status == Statement.Status.DRAFT
    assert not StatementStep.objects.filter(statement=submitted_ishoj).exists()
    with pytest.raises(NotSubmitted):  # a draft takes no step
        record_step(
            statement=submitted_ishoj, kind="council_approval", date=TODAY, acting_user=ishoj
        )


def test_a_step_before_its_predecessor_is_refused(ishoj, submitted_ishoj):
    with pytest.raises(StepOutOfOrder, match="Godkendt af kommunalbestyrelsen"):
        record_step(statement=submitted_ishoj, kind="published", date=TODAY, acting_user=ishoj)


def test_steps_are_refused_to_others_and_change_nothing(client, lyngby, reader, submitted_ishoj):
    before = audit_size()
    data = {"date": "2026-11-18", "body": "Byrådet"}
    client.force_login(lyngby)  # another municipality's statement: as if not there
    assert client.post(BASE + "steps/council_approval/", data).status_code == 404
    client.force_login(reader)  # a reader writes nothing
    assert client.post(BASE + "steps/council_approval/", data).status_code == 403
    assert client.post(BASE + "steps/council_approval/reopen/", {"reason": "x"}).status_code in (
        403,
        404,
    )
    assert audit_size() == before and not submitted_ishoj.steps.exists()


def test_a_step_needs_its_date_and_the_councils_body(client, submitted_ishoj):
    response = client.post(BASE + "steps/council_approval/", {"date": "", "body": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Intet er gemt" in html and "Mødedato" in html and "Organ" in html
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post(BASE + "steps/council_approval/", {"date": future, "body": "Byrådet"})
    assert "Datoen ligger i fremtiden." in response.content.decode()
    assert not submitted_ishoj.steps.exists()


def test_a_deadline_marks_late_drafts(client, ishoj_reader):
    grant_year = GrantYear.objects.get(programme__slug="vaerdighed", year=2017)
    grant_year.deadline = datetime.date(2017, 3, 1)
    grant_year.save()
    client.force_login(ishoj_reader)
    overview = client.get("/?year=2017").content.decode()
    assert "1. marts 2017" in overview and "Fristen er overskredet" in overview
    page = client.get("/municipalities/183/").content.decode()
    assert "Fristen er overskredet" in page
