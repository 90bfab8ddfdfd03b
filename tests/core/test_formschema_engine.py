"""The form engine against its committed vectors (tests/core/formschema_vectors.json), and the
checks a form definition and each field type get on the server."""

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.http import QueryDict
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.core.formschema import (
    ExpressionError,
    evaluate,
    evaluate_expression,
    parse_expression,
    schema_errors,
    validate,
)

VECTORS = json.loads((Path(__file__).parent / "formschema_vectors.json").read_text())
FORM_CASES = [c for c in VECTORS if "fields" in c]
EXPRESSION_CASES = [c for c in VECTORS if "expression" in c and "result" in c["expected"]]
PARSE_ERRORS = [c for c in VECTORS if "expression" in c and "error" in c["expected"]]


def plain(value):
    """A value as the vectors write it in JSON."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def test_the_vectors_cover_forms_expressions_and_parse_errors():
    assert len(FORM_CASES) >= 30 and len(EXPRESSION_CASES) >= 20 and len(PARSE_ERRORS) >= 10


@pytest.mark.parametrize("case", FORM_CASES, ids=[c["name"] for c in FORM_CASES])
def test_form_vector(case):
    assert schema_errors(case["fields"]) == {}
    expected = case["expected"]
    states = evaluate(case["fields"], case["answers"])
    assert [k for k, s in states.items() if s.visible] == expected["visible"]
    assert [k for k, s in states.items() if s.required] == expected["required"]
    assert [k for k, s in states.items() if s.readonly] == expected["readonly"]
    cleaned, errors = validate(case["fields"], case["answers"])
    assert {k: plain(v) for k, v in cleaned.items()} == expected["values"]
    assert errors == expected["errors"]


@pytest.mark.parametrize("case", EXPRESSION_CASES, ids=[c["name"] for c in EXPRESSION_CASES])
def test_expression_vector(case):
    result = evaluate_expression(case["expression"], case["values"])
    assert plain(result) == case["expected"]["result"]


@pytest.mark.parametrize("case", PARSE_ERRORS, ids=[c["name"] for c in PARSE_ERRORS])
def test_parse_error_vector(case):
    with pytest.raises(ExpressionError) as caught:
        parse_expression(case["expression"])
    assert caught.value.message == case["expected"]["error"]
    assert caught.value.position == case["expected"]["position"]
    assert str(caught.value).endswith(f"at character {case['expected']['position']}")


def test_parsed_expressions_are_cached_and_name_their_fields():
    first = parse_expression("cost > 1000 and not empty(manager)")
    assert parse_expression("cost > 1000 and not empty(manager)") is first
    assert first.names == {"cost", "manager"}


def test_evaluation_never_calls_python():
    # Whatever is typed is data: attribute access and calls other than empty/len do not parse.
    for text in ("__import__('os')", "cost.__class__", "open('x')", "a; b"):
        with pytest.raises(ExpressionError):
            parse_expression(text)


def test_nesting_is_bounded():
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("(" * 200 + "1" + ")" * 200)


# --- server validation of each type ---------------------------------------------------------
CHOICES = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]
TYPE_CASES = [
    ("text", {}, " hello ", "hello", None),
    ("text", {"max": 3}, "hello", None, "Write at most 3 characters."),
    ("long_text", {}, "line one\nline two", "line one\nline two", None),
    ("long_text", {}, "x" * 20_001, None, "Write at most 20000 characters."),
    ("number", {}, "12.5", Decimal("12.5"), None),
    ("number", {}, 7, Decimal(7), None),
    ("number", {}, "NaN", None, "Enter a number."),
    ("number", {}, True, None, "Enter a number."),
    ("date", {}, "2026-05-04", date(2026, 5, 4), None),
    ("date", {}, "04/05/2026", None, "Enter a date as YYYY-MM-DD."),
    ("datetime", {}, "2026-05-04T09:30", "2026-05-04T09:30:00+00:00", None),
    ("datetime", {}, "tomorrow", None, "Enter a date and time as YYYY-MM-DD HH:MM."),
    ("datetime", {"min": "2026-06-01"}, "2026-05-04T09:30", None, "Choose 2026-06-01 or later."),
    ("single_choice", {"choices": CHOICES}, "b", "b", None),
    ("single_choice", {"choices": CHOICES}, "B", None, "Choose one of the listed options."),
    ("multiple_choice", {"choices": CHOICES}, ["a", "b", "a"], ["a", "b"], None),
    ("multiple_choice", {"choices": CHOICES}, "a", ["a"], None),
    ("multiple_choice", {"choices": CHOICES}, ["c"], None, "Choose only from the listed options."),
    ("checkbox", {}, "on", True, None),
    ("checkbox", {}, "false", False, None),
    ("checkbox", {}, "maybe", None, "Tick the box or leave it empty."),
    ("email", {}, "Ada@Example.com", "Ada@Example.com", None),
    ("email", {}, "not an address", None, "Enter a valid e-mail address."),
    ("attachment", {}, "42", None, "Choose a file to upload."),
]


@pytest.mark.parametrize(("kind", "extra", "raw", "value", "error"), TYPE_CASES)
def test_each_type_is_typed_and_checked(kind, extra, raw, value, error):
    fields = [{"key": "answer", "label": "Answer", "type": kind, **extra}]
    # A date and time without a zone is read in the zone of the person filling in.
    with timezone.override("UTC"):
        cleaned, errors = validate(fields, {"answer": raw})
    if error:
        assert errors == {"answer": [error]}
        assert "answer" not in cleaned
    else:
        assert errors == {}
        got = cleaned["answer"]
        assert (got.isoformat() if isinstance(got, datetime) else got) == value


def test_a_query_dict_is_read_like_the_rendered_form_sends_it():
    fields = [
        {
            "key": "access",
            "label": "Access",
            "type": "multiple_choice",
            "choices": CHOICES,
            "default": ["a"],
        },
        {"key": "agree", "label": "Agree", "type": "checkbox", "default": True},
    ]
    # The form sends an empty marker before each checkbox group: nothing ticked is an answer.
    cleaned, errors = validate(fields, QueryDict("access=&agree="))
    assert (cleaned, errors) == ({"access": [], "agree": False}, {})
    cleaned, _ = validate(fields, QueryDict("access=&access=b&agree=&agree=on"))
    assert cleaned == {"access": ["b"], "agree": True}
    # Not sent at all (a new form, an API client): the defaults.
    assert validate(fields, QueryDict(""))[0] == {"access": ["a"], "agree": True}


def test_prefixed_names_keep_the_form_apart_from_the_page():
    fields = [{"key": "requested_for", "label": "For", "type": "text", "required": True}]
    cleaned, errors = validate(
        fields, {"requested_for": "page field", "item-requested_for": "answer"}, prefix="item"
    )
    assert (cleaned, errors) == ({"requested_for": "answer"}, {})


# --- schema_errors -------------------------------------------------------------------------------
def text(key, **settings):
    return {"key": key, "label": key.title(), "type": "text", **settings}


@pytest.mark.parametrize(
    ("fields", "where", "message"),
    [
        ([text("a"), text("a")], "1", "Another field already has the key 'a'."),
        ([{"key": "a", "label": "A", "type": "money"}], "0", "'money' is not a field type."),
        (
            [{"key": "a", "label": "A", "type": "single_choice"}],
            "0",
            "A choice field needs at least one choice.",
        ),
        (
            [{"key": "a", "label": "A", "type": "multiple_choice", "choices": []}],
            "0",
            "A choice field needs at least one choice.",
        ),
        (
            [text("a", visible_if="b ==")],
            "0",
            "Show when: Expected a value, found the end at character 5.",
        ),
        (
            [text("a", required_if="ghost == 1")],
            "0",
            "Required when: there is no field called ghost.",
        ),
        (
            [text("a", set_value={"when": "x > 1", "value": 1})],
            "0",
            "Set value when: there is no field called x.",
        ),
        (
            [text("Bad Key")],
            "0",
            "The key is lower-case letters, digits and underscores, starting with a letter.",
        ),
        ([text("and")], "0", "'and' is a word of the condition language; choose another key."),
        ([{"key": "a", "type": "text"}], "0", "Give the field a label."),
        ([text("a", pattern="([")], "0", "The pattern is not a regular expression"),
        ([text("a", colour="red")], "0", "Unknown setting colour."),
        (
            [{"key": "n", "label": "N", "type": "number", "min": 5, "max": 1}],
            "0",
            "The minimum is above the maximum.",
        ),
        (
            [{"key": "d", "label": "D", "type": "date", "min": "soon"}],
            "0",
            "Min must be a date written YYYY-MM-DD.",
        ),
        (
            [
                {
                    "key": "c",
                    "label": "C",
                    "type": "single_choice",
                    "choices": CHOICES,
                    "default": "z",
                }
            ],
            "0",
            "The default 'z' is not one of the choices.",
        ),
        (
            [text("a", visible_if="not empty(b)"), text("b", visible_if="not empty(a)")],
            "__all__",
            "These fields decide each other's values in a circle: a → b → a.",
        ),
        ([text("a", set_value={"when": "true"})], "0", "Set value: say which value to set."),
        (
            [
                {
                    "key": "c",
                    "label": "C",
                    "type": "single_choice",
                    "choices": CHOICES,
                    "set_value": {"value": "gold"},
                }
            ],
            "0",
            "The value to set 'gold' is not one of the choices.",
        ),
        ("not a list", "__all__", "The fields are a list."),
    ],
)
def test_schema_errors_refuse_bad_definitions(fields, where, message):
    errors = schema_errors(fields)
    assert any(m.startswith(message) for m in errors.get(where, [])), errors


def test_conditions_that_only_require_each_other_are_not_a_circle():
    # "Give a phone or an e-mail": neither decides the other's value.
    fields = [text("phone", required_if="empty(mail)"), text("mail", required_if="empty(phone)")]
    assert schema_errors(fields) == {}
    assert validate(fields, {})[1] == {
        "phone": ["This field is required."],
        "mail": ["This field is required."],
    }
    assert validate(fields, {"mail": "ada@example.com"})[1] == {}


def test_conditions_may_name_fields_of_included_sets():
    included = [text("department")]
    assert schema_errors([text("desk", visible_if="department == 'IT'")], included=included) == {}
    assert schema_errors([text("department")], included=included) == {
        "0": ["Another field already has the key 'department'."]
    }


def test_a_designer_row_becomes_a_definition_and_back():
    from opsdesk.core.formschema.designer import definition_initial, row_definition

    row = {
        "key": "",
        "label": "Laptop model",
        "type": "single_choice",
        "required": True,
        "choices": "ThinkPad X1\nmac | MacBook Air",
        "visible_if": "category == 'laptop'",
        "default": "mac",
        "set_when": "",
        "set_to": "",
    }
    field = row_definition(row)
    assert field == {
        "key": "laptop_model",
        "label": "Laptop model",
        "type": "single_choice",
        "required": True,
        "visible_if": "category == 'laptop'",
        "choices": [
            {"value": "thinkpad_x1", "label": "ThinkPad X1"},
            {"value": "mac", "label": "MacBook Air"},
        ],
        "default": "mac",
    }
    again = definition_initial(field, 0)
    assert row_definition(again) == field
    assert again["choices"] == "ThinkPad X1\nmac | MacBook Air"


@pytest.mark.parametrize(
    ("kind", "raw", "error"),
    [
        ("number", "1e25", "Enter a smaller number."),
        ("number", "0.00000000001", "Use at most 10 decimal places."),
        ("text", "bad\x00byte", "Remove the invisible control characters."),
        ("text", {"nested": "object"}, "Enter text."),
    ],
)
def test_values_no_column_could_keep_are_refused(kind, raw, error):
    fields = [{"key": "answer", "label": "Answer", "type": kind}]
    assert validate(fields, {"answer": raw})[1] == {"answer": [error]}


ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=2)
    ),
    max_leaves=6,
)
PLAIN_TYPES = [
    "text",
    "long_text",
    "number",
    "date",
    "datetime",
    "single_choice",
    "multiple_choice",
    "checkbox",
    "email",
    "attachment",
]


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(PLAIN_TYPES), raw=ANYTHING)
def test_whatever_is_sent_gives_a_value_or_a_message_never_an_exception(kind, raw):
    field = {
        "key": "answer",
        "label": "Answer",
        "type": kind,
        "choices": CHOICES,
        "visible_if": "not empty(answer) or true",
    }
    if kind not in ("single_choice", "multiple_choice"):
        del field["choices"]
    cleaned, errors = validate([field], {"answer": raw})
    assert ("answer" in cleaned) != ("answer" in errors)
    assert all(isinstance(m, str) for m in errors.get("answer", []))
