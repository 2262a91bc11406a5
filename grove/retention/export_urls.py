urlpatterns: list = []  # the organization export download (helper fills in)
