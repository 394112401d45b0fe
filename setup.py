"""ckanext-twin: the federated data-sharing and catalog portal of Munich and its partners.

One distribution, two packages: the CKAN extension ``ckanext.twin`` (in ``ckanext-twin/``)
and the CKAN-free harvesting core ``harvesters`` (in ``harvesters/``).
Exact versions live in ``constraints.txt``; install with ``pip install -c constraints.txt -e .``.
"""
from setuptools import find_namespace_packages, find_packages, setup

setup(
    name="ckanext-twin",
    version="0.1.0",
    description="Federated DCAT-AP.de / CSW catalog portal for Munich and the NordAllianz",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    package_dir={"ckanext": "ckanext-twin/ckanext", "harvesters": "harvesters"},
    packages=(
        find_namespace_packages(where="ckanext-twin", include=["ckanext.twin*"])
        + find_packages(include=["harvesters", "harvesters.*"])
    ),
    include_package_data=True,
    package_data={"ckanext.twin": ["*.yaml", "templates/**/*", "public/**/*", "i18n/**/*",
                                   "search/*.yaml", "dcat/*.yaml", "dcat/schemas/*.yaml"]},
    install_requires=[
        "ckan[requirements]",
        "ckanext-harvest",
        "ckanext-dcat",
        "ckanext-scheming",
        "ckanext-spatial",
        "rdflib",
        "pyshacl",
        "owslib",
        "requests",
        "pyjwt[crypto]",
        "pyyaml",
    ],
    extras_require={"test": ["ckan[dev]"]},
    entry_points={
        "ckan.plugins": [
            "twin = ckanext.twin.plugin:TwinPlugin",
            "twin_search = ckanext.twin.plugin:SearchPlugin",
            "twin_dcat = ckanext.twin.plugin:DCATPlugin",
            "twin_harvest = ckanext.twin.harvest.plugin:HarvestPlugin",
            "twin_dcat_harvester = ckanext.twin.harvest.dcat_harvester:TwinDCATHarvester",
            "twin_csw_harvester = ckanext.twin.harvest.csw_harvester:TwinCSWHarvester",
            "twin_access = ckanext.twin.access.plugin:AccessPlugin",
            "twin_policy = ckanext.twin.policy.plugin:PolicyPlugin",
        ],
        "ckan.rdf.profiles": [
            "dcatap_de = ckanext.twin.dcat.profile:DCATAPDEProfile",
        ],
    },
)
