"""Certificate pages (结业证书), by page group:

- ``mine``: the learner's own certificates and the PDF download;
- ``staff``: the scoped list and its export, one certificate, a class's ZIP;
- ``actions``: revoke, re-issue, and issue one by hand;
- ``batches``: bulk issue and the batch progress page;
- ``reviews``: the revocation offers after reversed credit.

Thin: reads come from ``training.certificates.selectors`` (scoped), writes go
through ``training.certificates.services``, which check permissions again. An
unknown number and a number outside the user's scope get the same 404.
"""
