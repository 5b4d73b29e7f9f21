"""The yardstick: Flask answering a fixed short page, under the product's server
settings. Every route of the product is measured as a fraction of this."""

from flask import Flask

app = Flask(__name__)

PAGE = "<!doctype html><title>Bench</title><p>A fixed short page.</p>"


@app.get("/")
def page():
    return PAGE
