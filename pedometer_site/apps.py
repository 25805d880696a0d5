from django.apps import AppConfig, apps

# The apps whose names the admin shows translated (infrastructure.i18n.translate_model_names).
OUR_APPS = ("accounts", "steps", "rankings", "notifications", "imports", "challenges")


class PedometerSiteConfig(AppConfig):
    name = "pedometer_site"
    verbose_name = "Pedometer site"

    def ready(self) -> None:
        from infrastructure.i18n import translate_model_names

        translate_model_names(apps.get_app_config(label) for label in OUR_APPS)
