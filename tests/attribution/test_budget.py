"""The memory bound's bookkeeping: a running total, never a re-sum of every state."""

from rollback_rate.attribution import StateBudget


def test_the_total_follows_updates_and_forgets():
    budget = StateBudget(limit=1_000)
    budget.update(1, 300)
    budget.update(2, 500)
    budget.update(1, 450)  # stream 1 grew: counted once, at its new size
    assert (budget.total, budget.exceeded()) == (950, False)
    budget.update(3, 200)
    assert (budget.total, budget.exceeded()) == (1_150, True)
    budget.forget(2)
    budget.forget(2)  # forgetting twice takes nothing more
    assert (budget.total, budget.exceeded()) == (650, False)


def test_the_largest_states_are_shed_until_under_half_the_bound():
    budget = StateBudget(limit=1_000)
    for key, size in {1: 100, 2: 600, 3: 300, 4: 250}.items():
        budget.update(key, size)
    # 1,250 held; shedding 600 leaves 650, then 300 leaves 350 <= 500.
    assert budget.to_shed() == [2, 3]


def test_past_the_bound_states_can_be_shed_to_nine_tenths_of_it():
    # PostgreSQL's choice: each stream shed is read back over the wire at the end.
    budget = StateBudget(limit=1_000, shed_to=0.9)
    for key, size in {1: 100, 2: 600, 3: 300, 4: 250}.items():
        budget.update(key, size)
    # 1,250 held; shedding 600 leaves 650 <= 900.
    assert budget.to_shed() == [2]
    budget.update(5, 700)
    # 1,950 held; 700 leaves 1,250, then 600 leaves 650 <= 900.
    assert budget.to_shed() == [5, 2]


def test_a_projector_keeps_as_many_states_as_its_backend_allows(db):
    # PostgreSQL allows more than SQLite: a stream pushed out continues at the end of the
    # import from events read back over the wire (store/postgres.py).
    from rollback_rate.attribution.projection import Projector

    with db.begin() as conn:
        budget = Projector(conn).budget
    expected = {"sqlite": (12 * 2**20, 0.5), "postgresql": (24 * 2**20, 0.9)}[db.backend.name]
    assert (budget.limit, budget.shed_to) == expected
    assert (db.backend.state_budget, db.backend.state_shed_to) == expected
