"""The read-only consistency check of the records that prove training
(``manage.py consistency_check``); ``checks.consistency_check`` runs the others."""
