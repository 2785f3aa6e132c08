from wagtail import hooks

from training.panels import home_panels


@hooks.register("cms_home_panels")
def training_home_panels(request):
    return home_panels(request)
