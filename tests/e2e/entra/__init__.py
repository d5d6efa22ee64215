"""Microsoft Entra ID's requests, replayed from tests/idp/entra."""
