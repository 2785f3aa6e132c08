"""Site search with Chinese substring recall, on SQLite and PostgreSQL alike.

Wagtail's database backend matches whole words split at spaces, so a Chinese query
such as 廉洁 never finds 《公正廉洁执法》. ``SearchEntry`` keeps a plain-text copy of
every live page, extracted generically from the page class's ``search_fields`` (the
same declarations Wagtail's own backends read), and searching is a substring match
(``icontains``) per term, all terms required. Relevance: a term in the title counts
ten times a term in the text, and half as much again when the title starts with
it; ties go to the most recently published.

cms knows nothing about courses or lessons: any page type with ``search_fields`` is
searchable, and a result shows its parent page (a lesson shows its course).
docs/search.md explains the move to Elasticsearch/OpenSearch at scale.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, IntegerField, Manager, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.encoding import force_str
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from wagtail.models import Page, PageViewRestriction
from wagtail.search.index import RelatedFields, SearchField

from cms.models import SearchEntry

MAX_TERMS = 6
MAX_TERM_LENGTH = 50
MAX_QUERY_LENGTH = 200
TITLE_WEIGHT = 10
TITLE_START_BONUS = 5
TEXT_WEIGHT = 1
SNIPPET_CHARS = 80

_SPACES = re.compile(r"\s+")


# --- extracting the text of a page ----------------------------------------------------


def _plain(value) -> str:
    """A search field's value as one line of plain text (rich text and StreamField
    values arrive as lists of strings from ``SearchField.get_value``)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(_plain(item) for item in value)
    if isinstance(value, dict):
        return " ".join(_plain(item) for item in value.values())
    text = force_str(value)
    if "<" in text:
        text = strip_tags(text)
    return _SPACES.sub(" ", html.unescape(text)).strip()


def _field_texts(obj, field) -> Iterable[tuple[str, str]]:
    """(field name, text) pairs for one search field, following RelatedFields."""
    if isinstance(field, SearchField):
        yield field.field_name, _plain(field.get_value(obj))
    elif isinstance(field, RelatedFields):
        related = field.get_value(obj)
        if related is None:
            return
        if isinstance(related, Manager) or hasattr(related, "all"):
            related = list(related.all())
        elif callable(related):
            related = [related()]
        else:
            related = [related]
        for sub_obj in related:
            for sub_field in field.fields:
                yield from _field_texts(sub_obj, sub_field)


def page_text(page: Page) -> tuple[str, str]:
    """(title, text) of a page, from its specific class's search fields."""
    page = page.specific
    parts: list[str] = []
    seen: set[str] = set()
    for field in page.get_search_fields():
        for name, text in _field_texts(page, field):
            if name == "title" or not text or text in seen:
                continue
            seen.add(text)
            parts.append(text)
    return page.title, "\n".join(parts)


# --- keeping the table in step ---------------------------------------------------


def search_entry_update(*, page: Page) -> SearchEntry | None:
    """Index a live page (or drop its entry when it is not live). The page passed
    in is what was just published, so drafts saved later never leak in."""
    page = page.specific
    if not page.live or page.is_root():
        search_entry_delete(page_id=page.pk)
        return None
    title, text = page_text(page)
    entry, _created = SearchEntry.objects.update_or_create(
        page_id=page.pk,
        defaults={
            "title": title[:255],
            "text": text,
            "kind": page._meta.label_lower,
        },
    )
    return entry


def search_entry_delete(*, page_id: int) -> None:
    SearchEntry.objects.filter(page_id=page_id).delete()


@transaction.atomic
def search_entries_rebuild(*, progress=None) -> int:
    """Rebuild the whole table from the live pages (``rebuild_search_entries``)."""
    SearchEntry.objects.all().delete()
    pages = Page.objects.live().filter(depth__gt=1).specific().order_by("path")
    count = 0
    for page in pages.iterator(chunk_size=200):
        search_entry_update(page=page)
        count += 1
        if progress is not None:
            progress(count, page)
    return count


# --- querying ---------------------------------------------------------------------


def search_terms(query: str) -> list[str]:
    """Whitespace-separated terms (full-width spaces too), duplicates dropped."""
    query = (query or "")[:MAX_QUERY_LENGTH]
    terms: list[str] = []
    for term in query.split():
        term = term.strip()[:MAX_TERM_LENGTH]
        if term and term.lower() not in {t.lower() for t in terms}:
            terms.append(term)
    return terms[:MAX_TERMS]


def _private_q() -> Q:
    """Pages below a view restriction (password, login, groups) are left out of
    results whoever asks: their titles alone may be confidential."""
    paths = list(PageViewRestriction.objects.values_list("page__path", flat=True))
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(page__path__startswith=path)
    return q


def _matching(terms: list[str]) -> QuerySet[SearchEntry]:
    entries = SearchEntry.objects.filter(page__live=True).exclude(_private_q())
    for term in terms:
        entries = entries.filter(Q(title__icontains=term) | Q(text__icontains=term))
    return entries


def search_entries(*, query: str, kind: str = "") -> QuerySet[SearchEntry]:
    """Entries of live, public pages matching every term, best first, each
    annotated with ``score``."""
    terms = search_terms(query)
    if not terms:
        return SearchEntry.objects.none()
    entries = _matching(terms)
    score = Value(0, output_field=IntegerField())
    for term in terms:
        score = (
            score
            + Case(
                When(title__icontains=term, then=Value(TITLE_WEIGHT)),
                default=Value(0),
                output_field=IntegerField(),
            )
            + Case(
                When(title__istartswith=term, then=Value(TITLE_START_BONUS)),
                default=Value(0),
                output_field=IntegerField(),
            )
            + Case(
                When(text__icontains=term, then=Value(TEXT_WEIGHT)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    if kind:
        entries = entries.filter(kind=kind)
    return (
        entries.annotate(score=score)
        .select_related("page")
        .annotate(published=Coalesce("page__last_published_at", "updated_at"))
        .order_by("-score", "-published", "-pk")
    )


def _term_pattern(terms: list[str]) -> re.Pattern | None:
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in ordered), re.IGNORECASE)


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with every occurrence of a term wrapped in <mark>."""
    pattern = _term_pattern(terms)
    if pattern is None:
        return escape(text)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308  (every piece escaped above)


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> SafeString:
    """About ``width`` characters of ``text`` around its first hit, hits marked."""
    text = _SPACES.sub(" ", text or "").strip()
    pattern = _term_pattern(terms)
    match = pattern.search(text) if pattern else None
    if match is None:
        start = 0
    else:
        start = max(0, match.start() - width // 3)
        # Start at a word boundary where the text has spaces (Latin text).
        space = text.rfind(" ", max(0, start - 10), start)
        if space != -1 and start - space < 10:
            start = space + 1
    end = min(len(text), start + width)
    if match is not None and match.end() > end:
        end = min(len(text), match.end() + width // 4)
    piece = highlight(text[start:end], terms)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(f"{prefix}{piece}{suffix}")  # noqa: S308  (piece is escaped)


@dataclass
class SearchHit:
    entry: SearchEntry
    page: Page
    title: SafeString
    snippet: SafeString
    kind_label: str
    parent: Page | None


def search_hits(entries: Iterable[SearchEntry], terms: list[str]) -> list[SearchHit]:
    """Results ready to show: highlighted title and snippet, the page type's name,
    and the parent page (one query for all parents)."""
    entries = list(entries)
    parent_paths = {e.page.path[: -Page.steplen] for e in entries if e.page.depth > 2}
    parents = {}
    if parent_paths:
        parents = {
            p.path: p
            for p in Page.objects.filter(path__in=parent_paths, depth__gt=2).only(
                "id", "title", "path", "depth", "url_path", "slug", "locale_id"
            )
        }
    hits = []
    for entry in entries:
        page = entry.page
        specific_class = page.specific_class or Page
        hits.append(
            SearchHit(
                entry=entry,
                page=page,
                title=highlight(entry.title, terms),
                snippet=snippet(entry.text, terms),
                kind_label=force_str(specific_class._meta.verbose_name),
                parent=parents.get(page.path[: -Page.steplen]),
            )
        )
    return hits


def search_kind_counts(*, query: str) -> list[tuple[str, str, int]]:
    """(kind, label, count) of the matching entries per page type, largest first.
    The label is the singular name, as a tab reads "Lesson 3"."""
    from django.apps import apps
    from django.db.models import Count

    terms = search_terms(query)
    if not terms:
        return []
    rows = (
        _matching(terms)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    result = []
    for kind, n in rows:
        try:
            model = apps.get_model(kind)
        except (LookupError, ValueError):
            continue
        result.append((kind, capfirst(force_str(model._meta.verbose_name)), n))
    return sorted(result, key=lambda row: (-row[2], row[1]))
