"""JWT access for Munich's platforms and partners (plugin ``twin_access``).

``accounts`` (the CKAN users tokens read as), ``keys`` and ``store`` (signing keys,
issued and revoked tokens, partners' identity providers), ``tokens`` (issuing and
verifying), ``jwks`` (partners' key sets), ``authenticator`` (the request side), ``views``
(``/.well-known/jwks.json``), ``cli`` (``ckan twin token|keys ...``). See docs/access.md.
"""
