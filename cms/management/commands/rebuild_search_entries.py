"""Rebuild the site search table from every live page (docs/search.md)."""

from django.core.management.base import BaseCommand

from cms.search import search_entries_rebuild


class Command(BaseCommand):
    help = "Rebuild the search table (cms.SearchEntry) from every live page."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(count, page):
            if verbosity >= 2 or (verbosity >= 1 and count % 500 == 0):
                self.stdout.write(f"  {count:>7}  {page.title}")

        count = search_entries_rebuild(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} live pages."))
