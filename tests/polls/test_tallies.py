"""Each kind of poll's tally, as pure functions: worked examples counted by hand, and properties."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from workshop.polls.tallies import (Bar, Ranked, Word, choice_bars, normalize_word, ranking_results,
                                   rating_summary, word_cloud)

OPTIONS = [(11, "Open tender"), (12, "Framework"), (13, "Direct award")]


# Single and multiple choice -------------------------------------------------------------

def test_choice_bars_count_each_option_as_a_percent_of_voters_in_the_polls_order():
    bars = choice_bars(OPTIONS, {13: 1, 11: 3}, voters=4)

    assert bars == [Bar("Open tender", 3, 75.0), Bar("Framework", 0, 0.0), Bar("Direct award", 1, 25.0)]


def test_multiple_choice_percents_are_of_voters_so_they_may_pass_100_in_total():
    bars = choice_bars(OPTIONS, {11: 3, 12: 2, 13: 1}, voters=3)

    assert [bar.percent for bar in bars] == [100.0, 66.7, 33.3]
    assert sum(bar.percent for bar in bars) > 100


def test_choice_bars_without_voters_show_every_option_at_zero():
    assert choice_bars(OPTIONS, {}, voters=0) == [Bar(text, 0, 0.0) for _, text in OPTIONS]


def test_choice_bars_ignore_counts_for_options_not_in_the_poll():
    assert [bar.count for bar in choice_bars(OPTIONS, {99: 5, 12: 1}, voters=1)] == [0, 1, 0]


@given(st.lists(st.sampled_from([11, 12, 13]), max_size=200))
def test_single_choice_counts_add_up_to_the_voters(picks):
    bars = choice_bars(OPTIONS, Counter(picks), voters=len(picks))

    assert sum(bar.count for bar in bars) == len(picks)
    assert [bar.label for bar in bars] == [text for _, text in OPTIONS]
    if picks:
        assert abs(sum(bar.percent for bar in bars) - 100) <= 0.15  # each percent rounded to one decimal


# Rating ------------------------------------------------------------------------------------

def test_rating_summary_on_a_five_point_scale():
    bars, mean = rating_summary({5: 2, 4: 1, 1: 1}, scale_max=5)

    assert bars == [Bar("1", 1, 25.0), Bar("2", 0, 0.0), Bar("3", 0, 0.0), Bar("4", 1, 25.0), Bar("5", 2, 50.0)]
    assert mean == 3.75  # (5 + 5 + 4 + 1) / 4


def test_rating_summary_on_a_ten_point_scale():
    bars, mean = rating_summary({10: 1, 7: 2}, scale_max=10)

    assert [bar.label for bar in bars] == [str(value) for value in range(1, 11)]
    assert [bar.count for bar in bars] == [0, 0, 0, 0, 0, 0, 2, 0, 0, 1]
    assert bars[6].percent == 66.7
    assert mean == 8.0  # (7 + 7 + 10) / 3


def test_rating_mean_is_rounded_to_two_decimals():
    assert rating_summary({1: 1, 2: 2}, scale_max=5)[1] == 1.67


def test_rating_without_answers_has_no_mean_and_empty_bars():
    bars, mean = rating_summary({}, scale_max=5)

    assert mean is None
    assert bars == [Bar(str(value), 0, 0.0) for value in range(1, 6)]


@given(st.lists(st.integers(1, 10), min_size=1, max_size=200))
def test_rating_mean_lies_on_the_scale_and_bars_hold_every_answer(ratings):
    bars, mean = rating_summary(Counter(ratings), scale_max=10)

    assert sum(bar.count for bar in bars) == len(ratings)
    assert min(ratings) <= mean <= max(ratings)
    assert abs(mean - sum(ratings) / len(ratings)) <= 0.005 + 1e-9


# Word cloud --------------------------------------------------------------------------------

def test_normalize_word_ignores_case_and_spacing():
    assert normalize_word("Open  Data") == normalize_word("open data") == normalize_word(" OPEN DATA ") == "open data"
    assert normalize_word("Open\tData\n") == "open data"
    assert normalize_word("opendata") != "open data"


def test_answers_written_differently_count_as_one_word():
    counts = Counter(normalize_word(answer) for answer in ["Open  Data", "open data", " OPEN DATA ", "Budget"])

    assert word_cloud(counts) == [Word("budget", 1, 1), Word("open data", 3, 5)]


def test_word_sizes_run_from_1_to_5_with_the_most_frequent_at_5():
    words = word_cloud({"open data": 5, "budget": 3, "e-gp": 1, "audit": 2})

    assert words == [Word("audit", 2, 2), Word("budget", 3, 3), Word("e-gp", 1, 1), Word("open data", 5, 5)]


def test_words_all_said_once_share_the_middle_size():
    assert word_cloud({"b": 1, "a": 1}) == [Word("a", 1, 3), Word("b", 1, 3)]


def test_word_cloud_keeps_the_most_frequent_up_to_the_limit_ties_alphabetically():
    words = word_cloud({"rare": 1, "common": 9, "middle": 4, "also middle": 4}, limit=3)

    assert [word.text for word in words] == ["also middle", "common", "middle"]  # shown alphabetically


def test_word_cloud_without_answers_is_empty():
    assert word_cloud({}) == []


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers(1, 50), max_size=80),
       st.integers(1, 60))
def test_word_sizes_stay_between_1_and_5(counts, limit):
    words = word_cloud(counts, limit=limit)

    assert len(words) == min(len(counts), limit)
    assert all(1 <= word.size <= 5 for word in words)
    if words and max(word.count for word in words) > 1:
        assert {word.size for word in words if word.count == max(counts.values())} == {5}


# Ranking -----------------------------------------------------------------------------------

A, B, C, D = (1, "Alpha"), (2, "Bravo"), (3, "Charlie"), (4, "Delta")


def test_ranking_worked_example():
    # Four ballots over three options; a first place earns 2 Borda points, a second 1, a last 0.
    #            places      mean    Borda
    #   Alpha    1 2 1 2     1.5     2+1+2+1 = 6
    #   Bravo    2 1 3 3     2.25    1+2+0+0 = 3
    #   Charlie  3 3 2 1     2.25    0+0+1+2 = 3   (tie with Bravo on both: by label)
    ballots = [[1, 2, 3], [2, 1, 3], [1, 3, 2], [3, 1, 2]]

    assert ranking_results([A, B, C], ballots) == [
        Ranked("Alpha", 1.5, 6), Ranked("Bravo", 2.25, 3), Ranked("Charlie", 2.25, 3)]


def test_ranking_equal_borda_points_are_split_by_mean_rank():
    # Charlie: first twice (4 points, mean 1). Alpha: first once (2 points, mean 1).
    # Bravo: second twice (2 points, mean 2): same points as Alpha, worse mean rank.
    ballots = [[3, 2], [3, 2], [1]]

    assert ranking_results([A, B, C], ballots) == [
        Ranked("Charlie", 1.0, 4), Ranked("Alpha", 1.0, 2), Ranked("Bravo", 2.0, 2)]


def test_ranking_lists_options_nobody_ranked_with_no_points():
    results = ranking_results([A, B, C, D], [[2, 1, 3]])

    assert Ranked("Delta", 0.0, 0) in results
    assert [r.label for r in results][:3] == ["Bravo", "Alpha", "Charlie"]
    assert {r.label: r.borda for r in results} == {"Bravo": 3, "Alpha": 2, "Charlie": 1, "Delta": 0}


def test_ranking_ignores_option_ids_of_other_polls_without_shifting_the_places():
    assert ranking_results([A, B], [[99, 1, 2]]) == [Ranked("Alpha", 1.0, 1), Ranked("Bravo", 2.0, 0)]


def test_ranking_without_ballots_lists_every_option():
    assert ranking_results([A, B], []) == [Ranked("Alpha", 0.0, 0), Ranked("Bravo", 0.0, 0)]


@given(st.integers(2, 7).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.permutations(list(range(1, n + 1))), max_size=60))))
def test_borda_points_of_complete_rankings_total_voters_times_n_n_minus_1_over_2(case):
    n, ballots = case
    options = [(i, f"Option {i}") for i in range(1, n + 1)]

    results = ranking_results(options, ballots)

    assert sum(r.borda for r in results) == len(ballots) * n * (n - 1) // 2
    assert len(results) == n
    assert [r.borda for r in results] == sorted((r.borda for r in results), reverse=True)
    if ballots:  # every voter places each option once, so mean ranks average to the middle place
        assert abs(sum(r.mean_rank for r in results) - n * (n + 1) / 2) <= 0.005 * n
