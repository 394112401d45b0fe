"""The portal's benchmarks; ``python -m bench`` runs them all, figures go to docs/benchmarks.md."""
