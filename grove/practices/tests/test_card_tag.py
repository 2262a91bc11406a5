"""The feed's card and filter options, built in Python (``practice_card``, ``select_options``),
render exactly what the former templates rendered: each compared, byte for byte, with the
template it replaced (kept here) on practices covering every branch, in English and French."""

from __future__ import annotations

import datetime

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from grove.core.testing.factories import JobTypeFactory, PracticeFactory
from grove.practices import queries
from grove.practices.forms import FeedFilterForm
from grove.practices.models import Attachment
from grove.tenancy.context import tenant_context, unscoped

from .view_helpers import *  # noqa: F403 -- the shared fixtures

FORMER_CARD = """{% load i18n practices_tags %}{% with image=practice|first_image %}{% url 'practices:detail' practice.pk as detail_url %}
<li class="card{% if image %} has-thumb{% endif %}{% if practice.is_boosted %} is-boosted{% endif %}{% if practice.highlighted_at %} is-highlighted{% endif %}" id="practice-{{ practice.pk }}">
  {% if image %}<a class="card-thumb" href="{{ detail_url }}" tabindex="-1" aria-hidden="true"><img src="{{ image|thumbnail_url }}" alt="" loading="lazy" width="320" height="240"></a>{% endif %}
  <h3><a href="{{ detail_url }}">{{ practice.title }}</a></h3>
  {% if practice.is_boosted or practice.highlighted_at or show_status %}<p class="card-meta">
    {% if practice.is_boosted %}<span class="badge boosted">{% translate "Boosted" %}</span>{% endif %}
    {% if practice.highlighted_at %}<span class="badge highlighted">{% translate "Highlighted" %}</span>{% endif %}
    {% if show_status %}<span class="badge status">{{ practice.status|status_label }}</span>{% endif %}
  </p>{% endif %}
  {% if with_snippets and practice.snippet %}<p class="snippet">{{ practice.snippet|safe }}</p>{% endif %}
  <p class="card-meta">
    {{ practice.topic.name }} ·
    {% if practice.author %}<a href="{% url 'practices:member' practice.author.pk %}">{{ practice.author.full_name }}</a>{% else %}{% translate "Former member" %}{% endif %}
    {% if practice.published_at %}· <time datetime="{{ practice.published_at|date:'c' }}">{{ practice.published_at|date:"SHORT_DATE_FORMAT" }}</time>{% endif %}
  </p>
  {% with job_types=practice|prefetched:"target_job_types" %}{% if practice.target_countries or job_types %}
  <p class="card-meta">{% translate "For:" %}
    {% for country in practice.target_countries %}{{ country.name }}{% if not forloop.last %}, {% endif %}{% endfor %}{% if practice.target_countries and job_types %} · {% endif %}
    {% for job in job_types %}{{ job.name }}{% if not forloop.last %}, {% endif %}{% endfor %}
  </p>
  {% endif %}{% endwith %}
  {% with tags=practice|prefetched:"tags" %}{% if tags %}{% url 'practices:feed' as feed_url %}<ul class="tags" aria-label="{% translate 'Tags' %}">{% for tag in tags %}<li><a href="{{ feed_url }}?tag={{ tag.name|urlencode }}">#{{ tag.name }}</a></li>{% endfor %}</ul>{% endif %}{% endwith %}
  <p class="counts">
    <span class="adoptions">{% blocktranslate count counter=practice.adoption_count %}{{ counter }} adoption{% plural %}{{ counter }} adoptions{% endblocktranslate %}</span>
    <span>{% blocktranslate count counter=practice.useful_count %}{{ counter }} found it useful{% plural %}{{ counter }} found it useful{% endblocktranslate %}</span>
    <span>{% blocktranslate count counter=practice.comment_count %}{{ counter }} comment{% plural %}{{ counter }} comments{% endblocktranslate %}</span>
  </p>
</li>{% endwith %}
"""  # noqa: E501 -- the former template, verbatim
NEW_CARD = '{% include "practices/_card.html" %}'

FORMER_OPTIONS = """{% for value, label, selected in options %}
      <option value="{{ value }}"{% if selected %} selected{% endif %}>{{ label }}</option>{% endfor %}"""  # noqa: E501
NEW_OPTIONS = "{% load practices_tags %}{{ options|select_options }}"


@pytest.fixture
def varied(alice, bob, topic):
    """Practices taking every branch of a card: photo, boost, highlight, targets, tags to
    escape and encode, HTML in the title, a former member's, counts of 0, 1 and many."""
    org = alice.organization
    job = JobTypeFactory(organization=org, name="Cashier & <clerk>")
    now = timezone.now()
    made = [
        PracticeFactory(
            organization=org,
            author=alice,
            topic=topic,
            title="<b>Bold</b> & \"quoted\" 'title'",
            tags=["queue", "café & co", "a/b?c=d"],
            target_countries=["FR", "DE"],
            target_job_types=[job],
            boosted_until=now + datetime.timedelta(days=2),
            highlighted_at=now,
            adoption_count=1,
            useful_count=1,
            comment_count=1,
        ),
        PracticeFactory(
            organization=org,
            author=None,
            topic=topic,
            title="A former member's",
            target_job_types=[job],
            adoption_count=1234,
            useful_count=2,
            comment_count=5,
        ),
        PracticeFactory(
            organization=org, author=alice, topic=topic, title="Plain", target_countries=["GB"]
        ),
        PracticeFactory(organization=org, author=alice, topic=topic, status="draft"),
    ]
    with unscoped("test: a photo"):
        Attachment.objects.create(
            organization=org,
            practice=made[2],
            kind="image",
            file="p/1.jpg",
            thumbnail="p/1_t.jpg",
            content_type="image/jpeg",
            size=1,
            position=0,
        )
    with tenant_context(org.pk):
        practices = [queries.practice_for_author(bob, p.pk) for p in made]  # a manager: all
    practices[0].snippet = "<mark>Bold</mark> &amp; more"
    return practices


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    "extra", [{}, {"show_status": True}, {"with_snippets": True}], ids=["feed", "mine", "search"]
)
def test_the_card_is_the_former_templates_html(varied, language, extra):
    former, new = Template(FORMER_CARD), Template(NEW_CARD)
    with translation.override(language):
        for practice in varied:
            expected = former.render(Context({"practice": practice, **extra}))
            assert new.render(Context({"practice": practice, **extra})) == expected
    rendered = new.render(Context({"practice": varied[0]}))
    assert "is-boosted is-highlighted" in rendered
    assert "has-thumb" in new.render(Context({"practice": varied[2]}))
    assert "Former member" in new.render(Context({"practice": varied[1]}))
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot; &#x27;title&#x27;" in rendered
    assert "?tag=caf%C3%A9%20%26%20co" in rendered
    assert "Cashier &amp; &lt;clerk&gt;" in rendered


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_filter_options_are_the_former_templates_html(alice, topic, language):
    with tenant_context(alice.organization_id), translation.override(language):
        request = RequestFactory().get("/", {"country": "FR", "topic": str(topic.pk)})
        form = FeedFilterForm(request.GET)
        for _field, options in form.rows:
            if options is None:
                continue
            options = [*options, ("<&>", 'Say "hi" & <bye>', False)]
            context = Context({"options": options})
            expected = Template(FORMER_OPTIONS).render(context)
            assert Template(NEW_OPTIONS).render(context) == expected
            assert "&lt;&amp;&gt;" in expected
