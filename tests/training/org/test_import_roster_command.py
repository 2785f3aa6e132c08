"""``manage.py import_roster FILE [--as USERNAME]``."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests.factories import roster_row, roster_xlsx
from training.org.models import Person, RosterImport


@pytest.fixture
def write_roster(tmp_path):
    def write(rows, name="roster.xlsx"):
        path = tmp_path / name
        path.write_bytes(roster_xlsx(rows))
        return path

    return write


def test_imports_a_good_file(tree, write_roster):
    path = write_roster([roster_row(tree.a1, "C1"), roster_row(tree.b1, "C2")])
    out = io.StringIO()
    call_command("import_roster", str(path), stdout=out)
    assert "2 added" in out.getvalue()
    assert set(Person.objects.values_list("employee_no", flat=True)) == {"C1", "C2"}
    assert RosterImport.objects.get().uploaded_by is None


def test_bad_rows_are_listed_and_nothing_written(tree, write_roster):
    path = write_roster([roster_row(tree.a1, "C1"), roster_row("NOPE", "C2")])
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 errors"):
        call_command("import_roster", str(path), stderr=err)
    assert "第 3 行 单位代码" in err.getvalue()
    assert not Person.objects.exists()


def test_as_user_limits_to_their_scope(tree, coordinator, write_roster):
    path = write_roster([roster_row(tree.b1, "C1")])
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), "--as", coordinator.username)
    assert not Person.objects.exists()
    ok = write_roster([roster_row(tree.a1, "C1")], name="ok.xlsx")
    call_command(
        "import_roster", str(ok), "--as", coordinator.username, stdout=io.StringIO()
    )
    assert Person.objects.get(employee_no="C1").unit == tree.a1
    assert RosterImport.objects.latest("pk").uploaded_by == coordinator


def test_as_learner_is_refused(tree, learner, write_roster):
    # A clean CommandError, not a PermissionDenied traceback.
    path = write_roster([roster_row(tree.a1, "C1")])
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), "--as", learner.username)
    assert not Person.objects.filter(employee_no="C1").exists()


def test_unknown_user_and_missing_file(tree, tmp_path, write_roster):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_roster", str(tmp_path / "none.xlsx"))
    path = write_roster([roster_row(tree.a1, "C1")])
    with pytest.raises(CommandError, match="No such user"):
        call_command("import_roster", str(path), "--as", "nobody")


def test_large_file_is_queued(tree, write_roster, settings):
    settings.ROSTER_IMPORT_SYNC_MAX_ROWS = 1
    path = write_roster([roster_row(tree.a1, f"C{n}") for n in range(3)])
    out = io.StringIO()
    call_command("import_roster", str(path), stdout=out)
    assert "queued" in out.getvalue()
    assert RosterImport.objects.get().total_rows == 3
