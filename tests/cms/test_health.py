"""/healthz and the PDF system checks."""

import pytest
from django.core.checks import Warning, run_checks

from cms import checks, fonts


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_reports_a_broken_cache(client, monkeypatch):
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error"}


@pytest.mark.django_db
def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405


def pdf_warning_ids(monkeypatch, *, font: bool, harfbuzz: bool) -> set[str]:
    # The certificate font (cms.W003) has tests of its own: test_fonts_check.py.
    monkeypatch.setattr(fonts, "installed", lambda: True)
    monkeypatch.setattr(checks, "cjk_font_available", lambda: font)
    monkeypatch.setattr(checks, "harfbuzz_subset_available", lambda: harfbuzz)
    return {message.id for message in checks.check_pdf_fonts(None)}


def test_no_pdf_warnings_when_everything_is_there(monkeypatch):
    assert pdf_warning_ids(monkeypatch, font=True, harfbuzz=True) == set()


def test_warns_without_cjk_font(monkeypatch):
    assert pdf_warning_ids(monkeypatch, font=False, harfbuzz=True) == {"cms.W001"}


def test_warns_without_harfbuzz_subset(monkeypatch):
    assert pdf_warning_ids(monkeypatch, font=True, harfbuzz=False) == {"cms.W002"}


def test_warns_twice_when_both_are_missing(monkeypatch):
    assert pdf_warning_ids(monkeypatch, font=False, harfbuzz=False) == {
        "cms.W001",
        "cms.W002",
    }


def test_checks_are_registered_and_are_warnings(monkeypatch):
    monkeypatch.setattr(fonts, "installed", lambda: True)
    monkeypatch.setattr(checks, "cjk_font_available", lambda: False)
    monkeypatch.setattr(checks, "harfbuzz_subset_available", lambda: False)
    found = [m for m in run_checks(tags=["pdf"]) if m.id.startswith("cms.")]
    assert {m.id for m in found} == {"cms.W001", "cms.W002"}
    assert all(isinstance(m, Warning) for m in found)
    assert all("apt-get install" in m.hint for m in found)


def test_cjk_font_probe_without_fc_list(monkeypatch):
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)
    assert checks.cjk_font_available() is False


def test_cjk_font_probe_reads_fc_list(monkeypatch):
    import subprocess

    monkeypatch.setattr(fonts.shutil, "which", lambda name: "/usr/bin/fc-list")

    def fake_run(args, **kwargs):
        return subprocess.CompletedProcess(args, 0, stdout=fake_run.output, stderr="")

    fake_run.output = "Noto Sans CJK SC\n"
    monkeypatch.setattr(fonts.subprocess, "run", fake_run)
    assert checks.cjk_font_available() is True
    fake_run.output = ""
    assert checks.cjk_font_available() is False
