"""ISO 19139 metadata (OGC CSW catalogs) -> DCAT-AP.de, without CKAN.

``read_record`` reads one ``gmd:MD_Metadata`` / ``gmi:MI_Metadata`` element into an
``IsoRecord`` (or refuses it with ``RecordRefused``), ``couple`` decides which service records
of a catalog are access routes of which datasets, and ``to_graph`` maps a dataset with its
services to the DCAT-AP.de graph the ``dcatap_de`` profile reads. ``docs/csw.md`` has the
mapping table.
"""
from harvesters.iso.coupling import Coupling, couple
from harvesters.iso.dcat import Mapped, to_graph
from harvesters.iso.record import IsoRecord, RecordRefused, read_document, read_record

__all__ = ["Coupling", "IsoRecord", "Mapped", "RecordRefused", "couple", "read_document",
           "read_record", "to_graph"]
