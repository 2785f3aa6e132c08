"""The parts of ``make prod-smoke`` (ops/prod_smoke.py) that read what the stack
says: forms and elements of real pages, multipart uploads as Django parses them,
and the logs it fails on. The run itself is ``make prod-smoke``."""

from __future__ import annotations

import io

import pytest
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.urls import reverse

from ops.prod_smoke import (
    BACKGROUND_TASKS,
    Page,
    SmokeFailure,
    World,
    log_problems,
    multipart,
    step_worker_logs,
)

ASSIGN_LIKE = """
<form id="assign-form" method="post" action="/assign/">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <button type="submit" name="action" value="preview">Preview</button>
  <select name="course" id="id_course">
    <option value="">Choose</option>
    <option value="12">公正廉洁执法</option>
    <option value="43" selected>检察法律文书制作规范</option>
  </select>
  <label><input type="radio" name="target" value="unit" checked> unit</label>
  <label><input type="radio" name="target" value="people"> people</label>
  <input type="checkbox" name="people" value="7" checked>
  <input type="checkbox" name="people" value="8">
  <input type="checkbox" name="required" checked>
  <textarea name="reason">第一行
第二行</textarea>
  <input type="file" name="file">
</form>
<p id="preview-total"><span class="preview-number">6</span> 人 <br> 将被指派</p>
<div id="outer"><div>inner <b>bold</b></div> tail</div>
<input type="hidden" name="preview_of" value="abc" form="assign-form">
"""


def test_page_reads_a_form_as_a_browser_would_post_it():
    page = Page(ASSIGN_LIKE)
    form = page.form("assign-form")
    assert form.action == "/assign/"
    assert form.fields == [
        ("csrfmiddlewaretoken", "tok"),
        ("course", "43"),
        ("target", "unit"),
        ("people", "7"),
        ("required", "on"),
        ("reason", "第一行\n第二行"),
        # Outside the <form>, attached to it by form="assign-form".
        ("preview_of", "abc"),
    ]
    assert form.choice("course", "公正廉洁执法") == "12"
    assert [v for v, _label in form.choices["people"]] == ["7", "8"]
    with pytest.raises(SmokeFailure):
        form.choice("course", "没有这门课")


def test_page_reads_the_text_of_nested_elements_by_id():
    page = Page(ASSIGN_LIKE)
    assert page.text_of("preview-total") == "6 人 将被指派"
    assert page.text_of("outer") == "inner bold tail"
    assert page.attr("id_course", "name") == "course"
    with pytest.raises(SmokeFailure):
        page.text_of("missing")


def test_a_real_page_yields_the_login_form(client):
    page = Page(client.get(reverse("account_login")).content.decode())
    form = page.form_with("login")
    assert form.value("csrfmiddlewaretoken")
    assert form.value("password") == ""


def test_multipart_body_is_what_django_parses():
    body, content_type = multipart(
        [("csrfmiddlewaretoken", "tok"), ("people", "1"), ("people", "2")],
        {"file": ("名册.xlsx", b"PK\x03\x04 bytes\r\n--", "application/x-test")},
    )
    request = RequestFactory().generic(
        "POST", "/roster/", data=body, content_type=content_type
    )
    data, files = MultiPartParser(
        request.META, io.BytesIO(body), request.upload_handlers
    ).parse()
    assert data.getlist("people") == ["1", "2"]
    assert data["csrfmiddlewaretoken"] == "tok"
    assert files["file"].name == "名册.xlsx"
    assert files["file"].read() == b"PK\x03\x04 bytes\r\n--"


def test_log_problems_finds_tracebacks_and_server_errors(tmp_path):
    (tmp_path / "gunicorn.log").write_text(
        '127.0.0.1 - - [06/Dec/2026:08:09:23 +0800] "GET / HTTP/1.1" 200 117 "-"\n'
        '127.0.0.1 - - [06/Dec/2026:08:09:23 +0800] "POST /x HTTP/1.1" 400 17 "-"\n'
    )
    (tmp_path / "worker1.log").write_text("INFO rq.worker Job OK\n")
    # Set-up commands may log anything; only the stack's logs count.
    (tmp_path / "migrate.log").write_text("Traceback (most recent call last):\n")
    assert log_problems(tmp_path) == []

    with (tmp_path / "gunicorn.log").open("a") as log:
        log.write('127.0.0.1 - - [06/Dec/2026] "GET /reports/ HTTP/1.1" 502 0 "-"\n')
    (tmp_path / "worker2.log").write_text("Traceback (most recent call last):\n")
    assert log_problems(tmp_path) == [
        "gunicorn answered 1 request(s) with 5xx",
        "worker2.log has a traceback",
    ]


def _rq_lines(task: str, *, ok: bool = True) -> str:
    start = f"INFO rq.worker Worker abc: default: {task}(1) (jobid)\n"
    done = "INFO rq.worker Worker abc: default: Job OK (jobid)\n"
    return start + (done if ok else "")


def test_worker_logs_must_show_every_background_task_done(tmp_path):
    world = World(base="", work=tmp_path, coordinator=None, learner=None, leader=None)
    (tmp_path / "worker1.log").write_text(
        "".join(_rq_lines(task) for task in BACKGROUND_TASKS[:-1])
    )
    with pytest.raises(SmokeFailure, match="report_export_task"):
        step_worker_logs(world)

    (tmp_path / "worker2.log").write_text(_rq_lines(BACKGROUND_TASKS[-1], ok=False))
    with pytest.raises(SmokeFailure, match="4 RQ jobs started, 3 finished OK"):
        step_worker_logs(world)

    (tmp_path / "worker2.log").write_text(_rq_lines(BACKGROUND_TASKS[-1]))
    assert step_worker_logs(world).startswith("4 jobs, all OK")
