"""What the SAML stack stands on."""
