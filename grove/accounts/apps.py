from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "grove.accounts"
    label = "accounts"
