"""JWT access for Munich's platforms and partners (plugin ``twin_access``).

``accounts`` (the CKAN users tokens read as), ``keys`` and ``store`` (signing keys,
issued and revoked tokens, partners' identity providers), ``tokens`` (issuing and
verifying), ``jwks`` (partners' key sets), ``authenticator`` (the request side), ``views``
(``/.well-known/jwks.json``), ``cli`` (``ckan twin token|keys ...``). See docs/access.md.
"""


class Refusal(Exception):
    """Why a token reads nothing, in German and English (the 401 answer carries both)."""

    def __init__(self, german: str, english: str) -> None:
        self.german, self.english = german, english
        super().__init__(f"{german} / {english}")
