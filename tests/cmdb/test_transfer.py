"""Import and export: upsert by (class, name), dry runs, all-or-nothing, line numbers, CLI."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from opsdesk.cmdb.models import ConfigurationItem, Relationship
from opsdesk.cmdb.transfer import cmdb_export, cmdb_import
from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

CIS_CSV = """class,name,status,environment,criticality,supporting_team,vendor,attributes
server,esx-01,in_use,production,1,Server & Storage,Dell,"{""cpu_cores"": 32}"
application,payroll-engine,,,2,,ADP,
Business service,Payroll,in use,Production,1,,,
"""

BAD_CSV = """class,name,criticality,supporting_team,attributes
server,esx-01,1,,
spaceship,enterprise,1,,
server,,2,,
server,esx-02,9,,
server,esx-03,1,Nobody,
server,esx-04,1,,"{""cpu_cores"": 0}"
"""


@pytest.fixture(autouse=True)
def teams():
    TeamFactory(name="Server & Storage")


def test_csv_import_creates_and_a_second_run_changes_nothing():
    report = cmdb_import(actor=None, text=CIS_CSV)
    assert report.written and (report.created, report.errors) == (3, [])
    esx = ConfigurationItem.objects.get(name="esx-01")
    assert (esx.criticality, esx.supporting_team.name, esx.attributes) == (
        1,
        "Server & Storage",
        {"cpu_cores": 32},
    )
    assert ConfigurationItem.objects.get(name="Payroll").ci_class.key == "business_service"
    audit_count = AuditEntry.objects.count()
    again = cmdb_import(actor=None, text=CIS_CSV)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEntry.objects.count() == audit_count


def test_a_changed_row_updates_the_existing_ci():
    cmdb_import(actor=None, text=CIS_CSV)
    report = cmdb_import(actor=None, text=CIS_CSV.replace("Dell", "HPE"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert ConfigurationItem.objects.get(name="esx-01").vendor == "HPE"


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written():
    report = cmdb_import(actor=None, text=BAD_CSV)
    assert not report.written
    lines = {e.line: e.reason for e in report.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert "unknown class 'spaceship'" in lines[3]
    assert "name" in lines[4]
    assert "criticality" in lines[5]
    assert "Nobody" in lines[6]
    assert "cpu_cores" in lines[7]
    assert "nothing was written" in report.message
    assert not ConfigurationItem.objects.exists()  # the good first row was rolled back too


def test_a_dry_run_checks_everything_and_writes_nothing():
    report = cmdb_import(actor=None, text=CIS_CSV, dry_run=True)
    assert (report.created, report.errors, report.written) == (3, [], False)
    assert "Dry run" in report.message
    assert not ConfigurationItem.objects.exists()
    assert not AuditEntry.objects.filter(object_type="cmdb.configurationitem").exists()


def test_json_import_links_cis_from_the_same_file_and_reports_json_lines():
    document = {
        "cis": [
            {"class": "server", "name": "esx-01"},
            {"class": "virtual_machine", "name": "vm-01", "attributes": {"vcpus": 2}},
        ],
        "relationships": [
            {
                "source_class": "virtual_machine",
                "source_name": "vm-01",
                "type": "hosted on",
                "target_class": "server",
                "target_name": "esx-01",
            },
        ],
    }
    text = json.dumps(document, indent=2)
    report = cmdb_import(actor=None, text=text)
    assert (report.created, report.relationships_created, report.errors) == (2, 1, [])
    assert Relationship.objects.get().type == "hosted_on"
    again = cmdb_import(actor=None, text=text)
    assert again.relationships_unchanged == 1

    document["relationships"].append(
        {
            "source_class": "server",
            "source_name": "esx-01",
            "type": "depends_on",
            "target_class": "server",
            "target_name": "esx-01",
        }
    )
    document["relationships"].append(
        {
            "source_class": "server",
            "source_name": "ghost",
            "type": "runs_on",
            "target_class": "server",
            "target_name": "esx-01",
        }
    )
    text = json.dumps(document, indent=2)
    report = cmdb_import(actor=None, text=text)
    reasons = {e.line: e.reason for e in report.errors}
    assert len(reasons) == 2
    lines = sorted(reasons)
    assert text.splitlines()[lines[0] - 1].strip() == "{"
    assert "itself" in reasons[lines[0]]
    assert "ghost" in reasons[lines[1]]
    assert Relationship.objects.count() == 1


def test_unreadable_files_are_refused_with_a_reason():
    assert "not valid JSON" in cmdb_import(actor=None, text='{"cis": [').errors[0].reason
    assert "header" in cmdb_import(actor=None, text="a,b\n1,2\n").errors[0].reason


def test_export_round_trips_through_import():
    cmdb_import(actor=None, text=CIS_CSV)
    exported = cmdb_export(fmt="csv")
    assert exported.splitlines()[0].startswith("class,name,status")
    report = cmdb_import(actor=None, text=exported)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    data = json.loads(cmdb_export(fmt="json"))
    assert {c["name"] for c in data["cis"]} == {"esx-01", "payroll-engine", "Payroll"}
    assert cmdb_import(actor=None, text=cmdb_export(fmt="json")).unchanged == 3


def test_import_api_dry_run_rejection_and_permissions():
    url = reverse("cmdb-import")
    owner = client_for(UserFactory(roles=[Role.SERVICE_OWNER]))
    dry = owner.post(f"{url}?dry_run=1", CIS_CSV, content_type="text/csv")
    assert dry.status_code == 200 and dry.json()["created"] == 3
    assert not ConfigurationItem.objects.exists()
    rejected = owner.post(url, BAD_CSV, content_type="text/csv")
    error = assert_error_shape(rejected, 400, "line 3")
    assert "nothing was written" in error["message"]
    assert len(error["report"]["errors"]) == 5
    assert not ConfigurationItem.objects.exists()
    for role in (Role.AGENT, Role.REQUESTER):
        refused = client_for(UserFactory(roles=[role])).post(url, CIS_CSV, content_type="text/csv")
        assert_error_shape(refused, 403)
    done = owner.post(url, CIS_CSV, content_type="text/csv")
    assert done.status_code == 200 and done.json()["written"] is True
    assert ConfigurationItem.objects.count() == 3


def test_import_api_takes_an_uploaded_file_and_export_serves_one():
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = client_for(UserFactory(roles=[Role.ADMINISTRATOR]))
    upload = SimpleUploadedFile("cis.csv", CIS_CSV.encode(), content_type="text/csv")
    response = admin.post(reverse("cmdb-import"), {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    export = admin.get(reverse("cmdb-export"), {"file_format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    assert b"esx-01" in export.content
    requester = client_for(UserFactory(roles=[Role.REQUESTER]))
    assert_error_shape(requester.get(reverse("cmdb-export")), 403)


def test_the_cmdb_command_imports_with_progress_and_fails_on_bad_rows(tmp_path, capsys):
    good = tmp_path / "cis.csv"
    good.write_text(CIS_CSV)
    call_command("cmdb", "import", str(good), "--dry-run")
    assert not ConfigurationItem.objects.exists()
    call_command("cmdb", "import", str(good))
    out, err = capsys.readouterr()
    assert "3/3 rows checked" in err
    assert "3 CIs created" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV)
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("cmdb", "import", str(bad))
    assert "line 3 (ci): unknown class 'spaceship'" in capsys.readouterr().err
    out_file = tmp_path / "export.json"
    call_command("cmdb", "export", "--format", "json", "--output", str(out_file))
    assert len(json.loads(out_file.read_text())["cis"]) == 3
