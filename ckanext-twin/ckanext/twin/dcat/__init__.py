"""DCAT-AP.de 3.0: the ckanext-dcat profile, the catalog endpoints and SHACL validation."""
