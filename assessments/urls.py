from django.urls import path

from assessments.views import learner, results

app_name = "assessments"

urlpatterns = [
    path("exams/", learner.exam_list, name="exam_list"),
    path("quizzes/<uuid:public_id>/", learner.quiz_detail, name="quiz"),
    path("quizzes/<uuid:public_id>/start", learner.start, name="start"),
    path("attempts/<uuid:public_id>/", learner.attempt_page, name="attempt"),
    path("attempts/<uuid:public_id>/answer", learner.answer, name="answer"),
    path("attempts/<uuid:public_id>/submit", learner.submit, name="submit"),
    path("attempts/<uuid:public_id>/review/", results.review, name="review"),
    path("my/results/", results.my_results, name="my_results"),
]
