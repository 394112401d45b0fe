"""Test support shared by tests/harvesters, tests/ckan and bench/: loopback HTTP servers and generated catalogs."""
