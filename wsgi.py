"""WSGI entry point: `gunicorn -k gthread --threads 50 -w 1 wsgi:app` (see README)."""

from app import create_app

app = create_app()
