"""Every form speaks in the product's voice, WTForms' own messages included."""

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
)

import tfc_training
from tfc_training.forms import Form


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def test_every_form_of_the_product_is_built_on_its_base():
    for module in pkgutil.walk_packages(tfc_training.__path__, "tfc_training."):
        importlib.import_module(module.name)

    forms = [
        cls
        for cls in subclasses(FlaskForm)
        if cls.__module__.startswith("tfc_training.")
    ]

    assert forms
    assert [cls for cls in forms if not issubclass(cls, Form)] == []


class Sample(Form):
    number = IntegerField("Number")
    day = DateField("Day")
    colour = SelectField("Colour", choices=[SelectChoice("red", "Red")])
    count = SelectField("Count", coerce=int, choices=[SelectChoice(1, "One")])
    sizes = SelectMultipleField(
        "Sizes", choices=[SelectChoice("s", "S"), SelectChoice("m", "M")]
    )
    ids = SelectMultipleField("Ids", coerce=int, choices=[SelectChoice(1, "One")])


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"number": "5.5"}, "number", "Write a whole number, such as 12."),
        (
            {"day": "14/03/2026"},
            "day",
            "Write the date as year-month-day, for example 2026-01-15.",
        ),
        ({"colour": "blue"}, "colour", "Choose one of the options offered."),
        ({"count": "abc"}, "count", "Choose one of the options offered."),
        (
            {"sizes": ["s", "<b>xl</b>"]},
            "sizes",
            "One of the choices is not among the options offered.",
        ),
        (
            {"sizes": ["xl", "xxl"]},
            "sizes",
            "2 of the choices are not among the options offered.",
        ),
        ({"ids": ["abc"]}, "ids", "Choose only among the options offered."),
    ],
)
def test_wtforms_messages_are_replaced(app, data, field, message):
    with app.test_request_context(method="POST", data=data):
        form = Sample(meta={"csrf": False})

        form.validate()

        assert form.errors[field] == [message]
