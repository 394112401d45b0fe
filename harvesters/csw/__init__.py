"""Harvesting OGC CSW 2.0.2 catalogs: ISO 19139 records, page by page.

``protocol`` speaks GetRecords (the request sent, the answers read), ``pages`` walks a
catalog's result set without skipping or repeating records and says whether the walk was
complete. Mapping the records to DCAT-AP.de is ``harvesters.iso``'s job.
"""
