"""Trainers' tools: agreement and adjudication metrics, the active-learning selection
policies and new-wording detection. Plain functions over records and stored assessments;
nothing here loads a model (the callers in `pipelines` do)."""
