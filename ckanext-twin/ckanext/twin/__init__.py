"""ckanext-twin: the CKAN extension of the Munich federated catalog portal."""
