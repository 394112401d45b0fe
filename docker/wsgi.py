"""The WSGI application for gunicorn: CKAN on the ini named by $CKAN_INI."""
import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

fileConfig(os.environ["CKAN_INI"], disable_existing_loggers=False)
application = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
