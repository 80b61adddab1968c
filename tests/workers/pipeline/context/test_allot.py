from hypothesis import given
from hypothesis import strategies as st

from workers.pipeline.context.allot import Candidate, Decays, allot


def test_the_best_unit_of_a_later_file_comes_before_the_weakest_units_of_the_first():
    # The first file is far too large to show whole; its tail of weak units would fill the
    # budget on its own. The third file's best unit must still get in.
    first = Candidate(head=20, whole=50_000, units=(300,) * 60)
    second = Candidate(head=20, whole=9_000, units=(400,) * 10)
    third = Candidate(head=20, whole=8_000, units=(250, 250, 250))
    shares = allot([first, second, third], 6_000)
    assert all(
        share >= candidate.head + candidate.units[0]
        for share, candidate in zip(shares, [first, second, third], strict=True)
    )
    assert shares[0] > shares[1] > 0
    assert sum(shares) <= 6_000


def test_a_file_whose_whole_fits_in_what_is_left_is_given_whole():
    big = Candidate(head=10, whole=100_000, units=(500, 500))
    small = Candidate(head=10, whole=300, units=(100,))
    shares = allot([big, small], 5_000)
    assert shares[1] == 300
    assert shares[0] == 10 + 500 + 500


def test_with_a_steeper_file_decay_the_first_file_takes_more():
    files = [Candidate(head=10, whole=90_000, units=(200,) * 100) for _ in range(4)]
    flat = allot(files, 8_000, Decays(file=0.5))
    steep = allot(files, 8_000, Decays(file=4.0))
    assert steep[0] > flat[0]
    assert steep[3] < flat[3]


def test_nothing_to_share_gives_nothing():
    assert allot([], 1_000) == []
    assert allot([Candidate(head=10, whole=40, units=(20,))], 0) == [0]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 200),
            st.integers(1, 20_000),
            st.lists(st.integers(1, 3_000), max_size=30),
        ),
        max_size=8,
    ),
    st.integers(0, 40_000),
)
def test_shares_never_exceed_the_budget_nor_a_file_s_whole(specs, budget):
    candidates = [Candidate(head, max(whole, head), tuple(units)) for head, whole, units in specs]
    shares = allot(candidates, budget)
    assert len(shares) == len(candidates)
    assert sum(shares) <= budget
    for share, candidate in zip(shares, candidates, strict=True):
        assert 0 <= share <= candidate.whole
        # A file shown at all pays for its header.
        assert share == 0 or share >= candidate.head
