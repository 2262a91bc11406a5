"""The feed's and the search's filter form: its selects, rendered as plain options, keep their
labels, the chosen values, the error state, and the reader's language."""

from __future__ import annotations

import re

from django.urls import reverse

from grove.core.testing.factories import JobTypeFactory, TopicFactory
from grove.practices.forms import FeedFilterForm, SearchForm
from grove.tenancy.context import tenant_context

from .view_helpers import *  # noqa: F403 -- the shared fixtures

FEED = reverse("practices:feed")
SEARCH = reverse("practices:search")


def _select(page: str, name: str) -> str:
    found = re.search(rf'<select name="{name}" id="id_{name}"[^>]*>.*?</select>', page, re.DOTALL)
    assert found, name
    return found.group(0)


def _selected(select: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)" selected>', select)


def test_every_select_is_labelled_with_its_options_and_nothing_chosen(client, dave, topic):
    client.force_login(dave)

    page = client.get(FEED).content.decode()

    for name in ("topic", "country", "job_type", "order"):
        assert f'<label for="id_{name}">' in page
    country = _select(page, "country")
    assert country.count("<option") == 1 + 249
    assert '<option value="FR">France</option>' in country
    assert _selected(country) == [""]
    assert f'<option value="{topic.pk}">Checkout</option>' in _select(page, "topic")
    assert _selected(_select(page, "topic")) == [""]
    assert _selected(_select(page, "order")) == []  # the browser shows the first: Newest
    assert 'name="tag"' in page and "aria-invalid" not in page


def test_the_chosen_values_stay_selected(client, dave, org_a, topic):
    job = JobTypeFactory(organization=org_a, name="Cashier")
    other = TopicFactory(organization=org_a, name="Safety")
    client.force_login(dave)

    page = client.get(
        FEED, {"topic": other.pk, "country": "DE", "job_type": job.pk, "order": "adopted"}
    ).content.decode()

    assert _selected(_select(page, "topic")) == [str(other.pk)]
    assert _selected(_select(page, "country")) == ["DE"]
    assert _selected(_select(page, "job_type")) == [str(job.pk)]
    assert _selected(_select(page, "order")) == ["adopted"]


def test_a_refused_value_is_marked_invalid_and_described(client, dave):
    client.force_login(dave)

    page = client.get(FEED, {"country": "ZZ"}).content.decode()

    select = _select(page, "country")
    assert 'aria-invalid="true" aria-describedby="id_country_error"' in select
    assert 'id="id_country_error"' in page
    assert _selected(select) == []


def test_the_search_form_keeps_its_words_and_filters(client, dave):
    client.force_login(dave)

    page = client.get(SEARCH, {"q": "queue", "country": "IT"}).content.decode()

    assert 'name="q" value="queue"' in page
    assert _selected(_select(page, "country")) == ["IT"]


def test_country_names_follow_the_readers_language(client, dave):
    dave.language = "fr"
    with tenant_context(dave.organization):
        dave.save(update_fields=["language"])
    client.force_login(dave)

    french = _select(client.get(FEED).content.decode(), "country")

    assert '<option value="DE">Allemagne</option>' in french
    dave.language = "en"
    with tenant_context(dave.organization):
        dave.save(update_fields=["language"])
    english = _select(client.get(FEED).content.decode(), "country")
    assert '<option value="DE">Germany</option>' in english


def test_the_rows_give_the_same_choices_as_the_widgets(org_a, topic):
    JobTypeFactory(organization=org_a, name="Cashier")
    with tenant_context(org_a):
        for form in (
            FeedFilterForm({"country": "FR", "topic": str(topic.pk)}),
            SearchForm(None),
        ):
            for field, options in form.rows:
                if options is None:
                    continue
                widget = [(str(v), str(label)) for v, label in field.field.widget.choices]
                assert [(v, label) for v, label, _ in options] == widget, field.name
