"""The certificate font check (cms.W003) and the font probe behind it."""

import subprocess

from django.core.checks import Warning, run_checks

from cms import checks, fonts


def warning_ids(monkeypatch, *, certificate_font: bool) -> set[str]:
    monkeypatch.setattr(checks, "cjk_font_available", lambda: True)
    monkeypatch.setattr(checks, "harfbuzz_subset_available", lambda: True)
    monkeypatch.setattr(fonts, "installed", lambda: certificate_font)
    return {message.id for message in checks.check_pdf_fonts(None)}


def test_warns_without_the_certificate_font(monkeypatch):
    assert warning_ids(monkeypatch, certificate_font=False) == {"cms.W003"}


def test_quiet_with_the_certificate_font(monkeypatch):
    assert warning_ids(monkeypatch, certificate_font=True) == set()


def test_certificate_font_warning_is_registered_with_a_hint(monkeypatch):
    warning_ids(monkeypatch, certificate_font=False)
    (found,) = [m for m in run_checks(tags=["pdf"]) if m.id == "cms.W003"]
    assert isinstance(found, Warning)
    assert fonts.FAMILY in found.msg
    assert "make fonts" in found.hint


def test_font_probe_reads_fc_list(monkeypatch):
    calls = []

    def fake_run(args, **kwargs):
        calls.append(args)
        return subprocess.CompletedProcess(args, 0, stdout=fake_run.output, stderr="")

    monkeypatch.setattr(fonts.subprocess, "run", fake_run)
    fake_run.output = "JCPX Serif SC\n"
    assert fonts.installed() is True
    fake_run.output = ""
    assert fonts.installed() is False
    assert calls[0] == ["fc-list", f":family={fonts.FAMILY}", "family"]


def test_font_probe_without_fc_list(monkeypatch):
    def missing(args, **kwargs):
        raise FileNotFoundError(args[0])

    monkeypatch.setattr(fonts.subprocess, "run", missing)
    assert fonts.installed() is False


def test_charset_covers_gb2312_but_not_rare_name_characters():
    chars = fonts.charset()
    assert {ord(c) for c in "王建国张三明欧阳检察院证书编号：0123ABC"} <= chars
    assert not {ord(c) for c in "喆堃𠮷䶮"} & chars


# --- the build stamp (make fonts) -------------------------------------------------


def _source(tmp_path, content=b"not really a font"):
    source = tmp_path / "Source.ttc"
    source.write_bytes(content)
    return source


def test_build_key_follows_the_source_font_not_the_file_mtime(tmp_path):
    source = _source(tmp_path)
    key = fonts.build_key(source)
    assert key == fonts.build_key(source)
    assert len(key) == 64
    source.write_bytes(b"another cut of the font")
    assert fonts.build_key(source) != key


def test_build_key_ignores_docstrings_and_comments():
    def one():
        """A docstring."""
        # a comment
        return 1

    def two():
        return 1

    assert fonts._code(one).replace("one", "two") == fonts._code(two)


def test_font_is_rebuilt_only_when_missing_or_stale(tmp_path, monkeypatch):
    source = _source(tmp_path)
    monkeypatch.setattr(fonts, "SOURCE", source)
    dest = tmp_path / "out" / "JCPX.ttf"
    built = []

    def fake_build(target, from_source):
        assert from_source == source
        built.append(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"font")
        fonts.stamp_path(target).write_text(fonts.build_key(source) + "\n")
        return target

    monkeypatch.setattr(fonts, "build", fake_build)
    assert fonts.stamp_path(dest).name == "JCPX.ttf.stamp"
    assert not fonts.up_to_date(dest, source)
    assert fonts.main(["--if-changed", str(dest)]) == 0
    assert built == [dest]
    assert fonts.up_to_date(dest, source)
    # Up to date: nothing built.
    assert fonts.main(["--if-changed", str(dest)]) == 0
    assert built == [dest]
    # Without --if-changed it always builds.
    assert fonts.main([str(dest)]) == 0
    assert len(built) == 2
    # The source font changed: stale.
    source.write_bytes(b"a newer Noto release")
    assert not fonts.up_to_date(dest, source)
    assert fonts.main(["--if-changed", str(dest)]) == 0
    assert len(built) == 3
    # A font without its stamp (built before stamps existed) is rebuilt once.
    fonts.stamp_path(dest).unlink()
    assert not fonts.up_to_date(dest, source)
