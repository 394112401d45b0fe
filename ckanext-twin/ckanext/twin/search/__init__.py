"""Dataset search served from PostgreSQL instead of Apache Solr.

CKAN talks to its search index only through a pysolr connection
(``ckan.lib.search.common.make_connection``). This package provides a connection with the
same surface, backed by one PostgreSQL table, so every caller in CKAN core and in the
extensions (ckanext-harvest, ckanext-spatial, ckanext-dcat) keeps working unchanged:

- ``lucene``: parses the Solr query syntax CKAN sends into a small syntax tree;
- ``translate``: turns that tree into SQL, refusing what it cannot express;
- ``documents``: turns an index document into the row that is stored;
- ``spatial``: dataset extents and ``ext_bbox`` boxes (spatial search on PostGIS);
- ``schema``: the table, its indexes and the German text search configuration;
- ``connection``: the pysolr-compatible connection;
- ``backend``: switches CKAN between this backend and Solr;
- ``actions``: ``package_search`` refinements (error codes, the ``ext_bbox`` filter);
- ``extent_map``: the extent map of the dataset page (ckanext-spatial's Leaflet map).
"""
