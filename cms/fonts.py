"""Build the certificate font: the GB2312 characters of Noto Serif CJK SC, as
TrueType, installed for fontconfig as "JCPX Serif SC".

Why: WeasyPrint subsets every font it embeds, once per PDF. Subsetting the full Noto
CJK collection (65,000 CFF glyphs) takes ~60 ms on a 2-core machine, more than the
rest of a certificate; a 7,600-glyph TrueType cut takes a fraction of that. Names
with characters outside GB2312 (喆 堃 𠮷 䶮) fall back to the full Noto fonts named
after it in the certificate's font list, so they still print, a little slower.

Run by ``make fonts`` (part of ``make install``):
``python -m cms.fonts [--if-changed] [DEST]``. Needs fontTools (a WeasyPrint
dependency) and Debian's fonts-noto-cjk.

The build takes from 20 s to two minutes, so it is stamped by content: beside the
font, ``DEST.stamp`` holds ``build_key()``, a sha256 of what the font is made from
(the code below that makes it, the source font's path, size and mtime, fontTools'
version). ``--if-changed`` rebuilds only when the font is missing or the key
differs, so a fresh clone on a machine that already built the same font skips it,
and editing a docstring or comment here does not rebuild it.
"""

from __future__ import annotations

import hashlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

FAMILY = "JCPX Serif SC"
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
DEST = Path("/usr/local/share/fonts/jcpx/JCPXSerifSC.ttf")


def charset() -> set[int]:
    chars = set(range(0x20, 0x7F))  # ASCII
    chars |= set(range(0x3000, 0x3040))  # CJK punctuation
    chars |= set(range(0xFF00, 0xFF65))  # full-width forms
    chars |= {0xB7, 0xD7, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x2022}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def _sc_index(path: Path) -> int:
    from fontTools.ttLib import TTCollection

    for index, font in enumerate(TTCollection(str(path)).fonts):
        if "SC" in font["name"].getDebugName(1):
            return index
    raise ValueError(f"No SC face in {path}")


def _to_truetype(font) -> None:
    """CFF outlines → quadratic TrueType outlines (fontTools' otf2ttf recipe)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    maxp.numGlyphs = len(order)
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def _code(obj) -> str:
    """The source of ``obj`` without its docstring and comments: what runs."""
    import ast
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def build_key(source: Path = SOURCE) -> str:
    """sha256 of everything the built font depends on (see the module docstring)."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for obj in (charset, _sc_index, _to_truetype, build):
        digest.update(_code(obj).encode())
    stat = source.stat()
    digest.update(
        f"{FAMILY}|{source}|{stat.st_size}|{stat.st_mtime_ns}|"
        f"fonttools {version('fonttools')}".encode()
    )
    return digest.hexdigest()


def stamp_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".stamp")


def up_to_date(dest: Path = DEST, source: Path = SOURCE) -> bool:
    """The font at ``dest`` was built by this code from this ``source``."""
    stamp = stamp_path(dest)
    if not (dest.is_file() and stamp.is_file()):
        return False
    return stamp.read_text().strip() == build_key(source)


def build(dest: Path = DEST, source: Path = SOURCE) -> Path:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(source), fontNumber=_sc_index(source))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=charset())
    subsetter.subset(font)
    _to_truetype(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "") + "-Regular"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    font.save(str(tmp))
    tmp.replace(dest)
    subprocess.run(["fc-cache", "-f", str(dest.parent)], check=True)  # noqa: S603,S607
    stamp_path(dest).write_text(build_key(source) + "\n")
    return dest


def fc_list(pattern: str) -> str:
    """fontconfig's answer for ``pattern`` (family names), "" when it cannot say."""
    if not shutil.which("fc-list"):
        return ""
    try:
        result = subprocess.run(  # noqa: S603
            ["fc-list", pattern, "family"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip()


def installed() -> bool:
    return bool(fc_list(f":family={FAMILY}"))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cms.fonts")
    parser.add_argument("dest", nargs="?", type=Path, default=DEST)
    parser.add_argument(
        "--if-changed",
        action="store_true",
        help="build only when the font or its stamp is missing or out of date",
    )
    args = parser.parse_args(argv)
    if args.if_changed and up_to_date(args.dest, SOURCE):
        print(f"{args.dest} is up to date ({stamp_path(args.dest).name} matches)")
        return 0
    print(f"Building {FAMILY} from {SOURCE} into {args.dest} (up to two minutes)…")
    print(build(args.dest, SOURCE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
