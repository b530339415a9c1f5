"""Document states: forward only (skipping allowed), void/superseded from any non-final state."""
from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from formsmith import lifecycle
from formsmith.errors import InputError, StateError
from formsmith.lifecycle import check_transition

ORDER = ["generated", "printed", "sent", "delivered", "signed", "archived"]
FINAL = {"archived", "void", "superseded"}
DOC = "物催字〔2025〕7号"


def expected_legal(current: str, new: str) -> bool:
    """The rule written out independently of the module's tables."""
    if current in FINAL:
        return False
    if new in ("void", "superseded"):
        return True
    return new in ORDER and ORDER.index(new) > ORDER.index(current)


def test_the_states_are_the_documented_ones():
    assert list(lifecycle.MAIN_STATES) == ORDER
    assert set(lifecycle.STATES) == set(ORDER) | {"void", "superseded"}
    assert set(lifecycle.LABELS) == set(lifecycle.STATES)
    assert lifecycle.LABELS["printed"] == "已打印" and lifecycle.LABELS["void"] == "已作废"


@pytest.mark.parametrize("current, new", list(itertools.product(lifecycle.STATES, repeat=2)))
def test_every_pair_of_states(current, new):
    if expected_legal(current, new):
        check_transition(DOC, current, new)
        assert new in lifecycle.allowed_next(current)
    else:
        with pytest.raises(StateError) as info:
            check_transition(DOC, current, new)
        assert new not in lifecycle.allowed_next(current)
        message = str(info.value)
        assert DOC in message
        assert current in message and new in message


@pytest.mark.parametrize("current, new", [("generated", "delivered"), ("printed", "signed"),
                                          ("generated", "archived"), ("sent", "archived")])
def test_forward_skips_are_allowed(current, new):
    check_transition(DOC, current, new)


@pytest.mark.parametrize("current, new", [("printed", "generated"), ("archived", "printed"),
                                          ("signed", "sent"), ("sent", "sent")])
def test_never_backward_nor_in_place(current, new):
    with pytest.raises(StateError, match="cannot go from"):
        check_transition(DOC, current, new)


@pytest.mark.parametrize("final", sorted(FINAL))
def test_final_states_allow_nothing(final):
    assert lifecycle.allowed_next(final) == ()
    with pytest.raises(StateError) as info:
        check_transition(DOC, final, "void" if final != "void" else "archived")
    assert "final" in str(info.value)


@pytest.mark.parametrize("current", ORDER[:-1])
def test_void_and_superseded_from_every_non_final_state(current):
    check_transition(DOC, current, "void")
    check_transition(DOC, current, "superseded")


def test_message_names_document_both_states_and_their_labels():
    with pytest.raises(StateError) as info:
        check_transition("物催字〔2025〕1号", "archived", "printed")
    msg = str(info.value)
    assert msg.startswith("物催字〔2025〕1号: ")
    assert "archived（已归档）" in msg and "printed（已打印）" in msg
    assert msg.index("archived") < msg.index("printed")  # from ... to ..., in that order


def test_unknown_target_state_is_a_state_error():
    with pytest.raises(StateError) as info:
        check_transition(DOC, "generated", "lost")
    assert DOC in str(info.value) and "'lost'" in str(info.value)


def test_state_error_is_an_input_error_exit_2():
    assert issubclass(StateError, InputError)
    assert StateError("x").exit_code == 2


def test_event_records_when_who_and_extras():
    before = datetime.now().astimezone().replace(microsecond=0)
    ev = lifecycle.event("sent", "李娜", "挂号信", tracking="SF123", empty="", none=None)
    after = datetime.now().astimezone()
    assert ev["state"] == "sent" and ev["by"] == "李娜" and ev["note"] == "挂号信"
    assert ev["tracking"] == "SF123"
    assert "empty" not in ev and "none" not in ev  # blanks are not recorded
    at = datetime.fromisoformat(ev["at"])
    assert at.tzinfo is not None
    assert before <= at <= after
    assert "note" not in lifecycle.event("printed", "王敏")


def test_unknown_recorded_state_is_a_state_error_not_a_crash():
    with pytest.raises(StateError, match="unknown state 'bogus'"):
        check_transition("物催字〔2025〕1号", "bogus", "printed")
