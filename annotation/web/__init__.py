"""The review web app (FastAPI + Jinja2, server-rendered): `create_app(store, secret)`.

Importing it loads no model, no scikit-learn, no torch and no Prefect (a test checks).
"""
