"""ckanext-scheming schema and presets of the DCAT-AP.de dataset."""
