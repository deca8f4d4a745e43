"""The mock deployment worker: a Flask app served by gunicorn."""
