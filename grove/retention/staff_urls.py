urlpatterns: list = []  # the staff pages (helper fills in)
