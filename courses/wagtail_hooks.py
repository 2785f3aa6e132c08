from wagtail import hooks
from wagtail.permissions import register_permission_policy

from courses.chooser import quiz_chooser_viewset
from courses.models import Assignment, Enrollment
from courses.viewsets import CoursesViewSetGroup, ReadOnlyPolicy

register_permission_policy(Enrollment, ReadOnlyPolicy(Enrollment))
register_permission_policy(Assignment, ReadOnlyPolicy(Assignment))


@hooks.register("register_admin_viewset")
def register_course_admin():
    return [quiz_chooser_viewset, CoursesViewSetGroup()]
