"""What people do with flagged ads: the store, the review queue (`queue.py`) and the
decisions reviewers build (`decisions.py`), accounts, roles and sign-in (`accounts.py`,
`roles.py`, `logins.py`), decision export (`export.py`), the review web app (`web/`),
agreement metrics and annotation guidelines. No Prefect, and no detector code: the web app
must start without loading a model."""
