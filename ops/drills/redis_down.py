"""Drill: Redis is down; pages and the exam still work (the cache degrades).

Run against a database holding the demo (seed_demo), with production settings
and REDIS_URL pointing at a port nobody listens on::

    MFA_ENFORCED=0 DJANGO_SETTINGS_MODULE=cms.settings.prod SECRET_KEY=… \\
    PII_HASH_KEY=… ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 \\
    REDIS_URL=redis://127.0.0.1:6399/9 DATABASE_URL=postgres://…/helper_c_restored \\
    .venv/bin/python manage.py shell < ops/drills/redis_down.py

Prints the cache backend, then each request's status and time: the leadership
dashboard, my learning, the exam list, starting an exam and its page.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from assessments.models import Quiz

print(settings.CACHES["default"]["BACKEND"], settings.SESSION_ENGINE)
started = time.monotonic()
cache.set("probe", 1)
print("cache set+get:", cache.get("probe"), f"{time.monotonic() - started:.2f}s")
client = Client(HTTP_HOST="127.0.0.1")
users = get_user_model().objects
for name, url in (
    ("leader", "/reports/"),
    ("learner", "/learning/"),
    ("learner", "/exams/"),
):
    client.force_login(users.get(username=name))
    started = time.monotonic()
    status = client.get(url).status_code
    print(name, url, status, f"{time.monotonic() - started:.2f}s")
quiz = Quiz.objects.filter(kind="exam", is_published=True).first()
client.force_login(users.get(username="learner"))
response = client.post(f"/quizzes/{quiz.public_id}/start")
print("exam start", response.status_code, response.get("Location"))
print("attempt page", client.get(response["Location"]).status_code)
