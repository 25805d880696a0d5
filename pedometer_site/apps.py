from django.apps import AppConfig


class PedometerSiteConfig(AppConfig):
    name = "pedometer_site"
    verbose_name = "Pedometer site"
