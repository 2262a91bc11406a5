from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "grove.onboarding"
    label = "onboarding"
    verbose_name = "Onboarding: user list import and SCIM provisioning"
