# A namespace package shared with the other CKAN extensions.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
