"""k-anonymity: counts of fewer than 5 people are hidden, and so is whatever would give them
away (complementary suppression)."""

from grove.insights.disclosure import (
    K_ANONYMITY,
    PROTECTED,
    SMALL,
    Figure,
    people,
    protect,
    ratio,
    share,
)


def test_the_threshold_is_five():
    assert K_ANONYMITY == 5


def test_a_count_of_fewer_than_five_people_is_hidden_and_zero_is_shown():
    assert [people(n).hidden for n in (0, 1, 4, 5, 80)] == ["", SMALL, SMALL, "", ""]


def test_a_split_leaving_fewer_than_five_on_the_other_side_is_hidden():
    assert people(48, of=50).hidden == PROTECTED
    assert people(45, of=50).hidden == ""
    assert people(50, of=50).hidden == ""  # everyone: no one singled out


def test_nothing_hidden_when_every_group_is_large_enough():
    assert protect([(20, None), (10, None), (5, None)]) == ["", "", ""]


def test_a_single_hidden_group_takes_the_next_smallest_with_it():
    # Total 34: with only LU hidden, 34 - 20 - 10 would give its 4 away.
    assert protect([(20, None), (10, None), (4, None)]) == ["", PROTECTED, SMALL]


def test_hidden_groups_adding_up_to_fewer_than_five_take_another_with_them():
    # 2 + 2 = 4 could be recomputed as an "Other" of fewer than 5.
    assert protect([(30, None), (9, None), (2, None), (2, None)]) == ["", PROTECTED, SMALL, SMALL]


def test_two_small_groups_adding_up_to_five_are_enough():
    assert protect([(30, None), (9, None), (3, None), (2, None)]) == ["", "", SMALL, SMALL]


def test_complementary_suppression_looks_at_the_other_side_of_splits_too():
    # Active members of groups: the last two are hidden (2 inactive each), but together they
    # would leave 2 + 2 inactive members recomputable from the totals: a third goes with them.
    cells = [(40, 50), (30, 40), (18, 20), (28, 30)]
    assert protect(cells) == ["", PROTECTED, PROTECTED, PROTECTED]


def test_a_lone_small_group_with_nothing_to_hide_alongside_stays_hidden():
    assert protect([(3, None)]) == [SMALL]


def test_zero_groups_are_the_last_taken():
    assert protect([(0, None), (12, None), (4, None)]) == ["", PROTECTED, SMALL]


def test_ratios_and_shares_hide_with_their_people():
    hidden = people(3)
    assert ratio(6, hidden).hidden == SMALL
    assert share(Figure(7), hidden).hidden == SMALL
    assert share(hidden, Figure(40)).hidden == SMALL
    assert ratio(5, Figure(0)).value is None
    assert share(Figure(10), Figure(40)).value == 0.25


def test_hidden_figures_read_as_words_and_csv_tokens():
    assert str(people(3)) == "fewer than 5"
    assert str(people(48, of=50)) == "hidden"
    assert people(3).csv_value == "<5"
    assert people(48, of=50).csv_value == "suppressed"
    assert Figure(1234).csv_value == "1234"


def test_a_hidden_count_keeps_no_value():
    assert people(3).value is None
    assert people(48, of=50).value is None
    assert people(3).chart_value is None
