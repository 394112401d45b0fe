"""Per-municipality access policies: which datasets flow into which of Munich's platforms.

The core (platforms, terms, model, reader, odrl, facts, evaluate, explain) is plain Python,
fast and testable without CKAN; the rest (store, registry, datasets, enforcement, changes,
labels, actions, auth, cli, views, plugin) decides on every write and enforces the decisions
through CKAN's permission labels. docs/policies.md explains both.
"""
