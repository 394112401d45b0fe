"""Harvesting into CKAN: ckanext-harvest adapters over the CKAN-free core in ``harvesters``."""
