"""Walking a partner's DCAT-AP.de catalog: pages (``pages``), one record per dataset
(``records``), and the two combined into one harvest walk (``harvest.collect``).

The CKAN side (an ``IHarvester`` that parses each record with the ``dcatap_de`` profile and
writes through the action API) lives in ``ckanext.twin``; nothing here imports CKAN.
"""
