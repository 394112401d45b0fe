"""The harvesting core: fetching, parsing and mapping partner catalogs, free of CKAN."""
