from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .queries import DEFAULT_MONTHS, MAX_MONTHS, MIN_MONTHS

OFFERED_MONTHS = (3, 6, 12, 18, 24)  # the menu; any count from MIN to MAX is accepted


class PeriodForm(forms.Form):
    """The period shown: the last ``months`` calendar months, the current one included.

    Anything but a whole number from MIN_MONTHS to MAX_MONTHS is refused (the view answers
    400), never widened or narrowed silently."""

    months = forms.IntegerField(
        label=gettext_lazy("Period"),
        min_value=MIN_MONTHS,
        max_value=MAX_MONTHS,
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["months"].widget = forms.Select(
            choices=[
                (count, _("Last %(count)s months") % {"count": count}) for count in OFFERED_MONTHS
            ]
        )

    def period_months(self) -> int:
        return self.cleaned_data.get("months") or DEFAULT_MONTHS
