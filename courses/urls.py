from django.urls import path

from courses import views, views_learning

app_name = "courses"

urlpatterns = [
    path("learning/progress/<int:lesson_id>/beat", views.beat, name="beat"),
    path("learning/progress/<int:lesson_id>/read", views.read, name="read"),
    path("learning/enrol/<int:course_id>", views.enrol, name="enrol"),
    path("learning/", views_learning.learning, name="learning"),
]
